package dev.gateway.auth.internal;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.AuthSettings;
import dev.gateway.core.keys.LimitStore;
import dev.gateway.http.RequestFilter;
import java.util.function.LongSupplier;

/** Builds the filters of this package that {@code AuthFilters} puts in an API's chain. */
public final class SessionFilters {

    private SessionFilters() {
    }

    /** A key's rate limit and quota. */
    public static RequestFilter rateLimit(LimitStore limits, AuthSettings settings, boolean checkRate,
            boolean checkQuota, LongSupplier epochSeconds) {
        return new RateLimitFilter(limits, settings, checkRate, checkQuota, epochSeconds);
    }

    /** The API's own limit; {@code null} when it has none. */
    public static RequestFilter apiRateLimit(ApiDefinition api, LimitStore limits, boolean hashKeys) {
        return ApiRateLimitFilter.of(api, limits, hashKeys);
    }

    /** {@code strip_auth_data}; {@code null} when it is off. */
    public static RequestFilter stripAuth(ApiDefinition api) {
        return StripAuthFilter.of(api);
    }
}
