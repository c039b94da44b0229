package dev.gateway.auth.internal;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * Tyk's {@code X-RateLimit-Limit}, {@code X-RateLimit-Remaining} and {@code X-RateLimit-Reset}, as one request's
 * limits left them: from the quota (Tyk's default, {@code rate_limit_response_headers} {@code quotas}; the reset is
 * when the period renews, in Unix seconds) or from the rate limit ({@code rate_limits}; the reset is when a request
 * is allowed again).
 */
public record RateHeaders(long limit, long remaining, long reset) {

    static final String LIMIT = "X-RateLimit-Limit";
    static final String REMAINING = "X-RateLimit-Remaining";
    static final String RESET = "X-RateLimit-Reset";

    /** Sets the three headers on {@code headers}. */
    void applyTo(HttpHeaders headers) {
        headers.set(LIMIT, Long.toString(limit)).set(REMAINING, Long.toString(remaining))
                .set(RESET, Long.toString(reset));
    }

    /** The three headers alone, for a refusal's answer. */
    HttpHeaders asHeaders() {
        HttpHeaders headers = new DefaultHttpHeaders();
        applyTo(headers);
        return headers;
    }
}
