package dev.gateway.http.internal.exchange;

import dev.gateway.core.net.ClientAddress;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ResponseFilter;
import dev.gateway.http.Route;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;

/** A route's {@link ResponseFilter}s over one response's head, or its trailers. */
final class ResponseChain {

    private ResponseChain() {
    }

    /**
     * Runs every filter of {@code route}, in order, on {@code head} when it is given, otherwise on
     * {@code trailers}.
     *
     * @param request the request as it went upstream
     * @param client the client's channel, which the filters see as an address and a connection id
     * @return what the first filter that failed threw, or {@code null}
     */
    static RuntimeException run(Route route, HttpRequest request, Channel client, HttpResponse head,
            HttpHeaders trailers) {
        FilteredRequest filtered = new FilteredRequest(request, route, ClientAddress.of(client),
                client.id().asShortText());
        for (ResponseFilter filter : route.responseFilters()) {
            try {
                if (head != null) {
                    filter.onHead(filtered, head);
                } else {
                    filter.onTrailers(filtered, trailers);
                }
            } catch (RuntimeException e) {
                return e;
            }
        }
        return null;
    }
}
