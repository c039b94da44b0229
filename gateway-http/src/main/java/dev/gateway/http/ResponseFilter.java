package dev.gateway.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;

/**
 * One step of an API's response chain: it sees the upstream's response head before the client does, and the
 * response's trailers, and may change their headers (a header rewrite, CORS, a key's rate-limit headers). An API's
 * response filters are compiled into its {@link Route} at load, run in order on every proxied response (HTTP/1.1,
 * HTTP/2 and gRPC alike), and an API without them pays nothing. Answers the gateway writes itself, and the
 * {@code 101} of a protocol switch, are not filtered.
 *
 * <p>A response filter runs on the connection's event loop and must not block it. It cannot hold a response back;
 * what needs to wait belongs in a {@link RequestFilter}. The framing headers ({@code Content-Length},
 * {@code Transfer-Encoding}, {@code Connection}) are the gateway's. A filter that throws fails the exchange with
 * {@link ProxyFailure#FILTER_FAILED}: a 500 (gRPC {@code INTERNAL}) before the head went out, a broken-off
 * response after.
 */
public interface ResponseFilter {

    /**
     * The upstream's response head.
     *
     * @param request the request as it went to the upstream
     */
    void onHead(FilteredRequest request, HttpResponse head);

    /** The response's trailers (gRPC's status among them), when it has any. */
    default void onTrailers(FilteredRequest request, HttpHeaders trailers) {
    }
}
