package dev.gateway.http.internal.exchange;

import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ResponseFilter;
import dev.gateway.http.Route;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;

/** A route's {@link ResponseFilter}s over one response's head, or its trailers. */
final class ResponseChain {

    private ResponseChain() {
    }

    /**
     * Runs every filter of {@code route}, in order, on {@code head} when it is given, otherwise on
     * {@code trailers}.
     *
     * @param filtered the request as the route's filters saw it; its head is now the request as it went upstream
     * @return what the first filter that failed threw, or {@code null}
     */
    static RuntimeException run(Route route, FilteredRequest filtered, HttpResponse head, HttpHeaders trailers) {
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
