package dev.gateway.http;

import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;

/**
 * What a {@link RequestFilter} sees of a request: its head as the client sent it (a filter may change its headers),
 * the route that matched it, and who sent it.
 *
 * @param head the request line and headers; an HTTP/2 request in its HTTP/1.1 form
 * @param route the API's route
 * @param client the real client, after a PROXY protocol header
 * @param connectionId the client connection's id, as log lines name it
 */
public record FilteredRequest(HttpRequest head, Route route, InetSocketAddress client, String connectionId) {
}
