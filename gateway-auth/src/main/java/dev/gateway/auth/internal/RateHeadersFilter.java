package dev.gateway.auth.internal;

import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ResponseFilter;
import io.netty.handler.codec.http.HttpResponse;

/** Puts what the request's limits said ({@link RateHeaders}) on the upstream's response, as Tyk does. */
public final class RateHeadersFilter implements ResponseFilter {

    public static final RateHeadersFilter INSTANCE = new RateHeadersFilter();

    private RateHeadersFilter() {
    }

    @Override
    public void onHead(FilteredRequest request, HttpResponse head) {
        RateHeaders headers = request.get(SessionKey.RATE_HEADERS);
        if (headers != null) {
            headers.applyTo(head.headers());
        }
    }
}
