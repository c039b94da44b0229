package dev.gateway.auth.internal;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.keys.LimitKeys;
import dev.gateway.core.keys.LimitStore;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tyk's {@code RateLimitForAPI}: {@code global_rate_limit}, one limit for the whole API whoever calls it, keyless
 * APIs included, counted under Tyk's {@code apilimiter-<org><api>} name. Spent: 429 "API Rate Limit Exceeded".
 */
final class ApiRateLimitFilter implements RequestFilter {

    private static final Logger log = LoggerFactory.getLogger(ApiRateLimitFilter.class);

    private final LimitStore limits;
    private final String counter;
    private final double rate;
    private final double per;

    private ApiRateLimitFilter(LimitStore limits, String counter, double rate, double per) {
        this.limits = limits;
        this.counter = counter;
        this.rate = rate;
        this.per = per;
    }

    /** The API's limit, or {@code null} when it sets none. */
    static ApiRateLimitFilter of(ApiDefinition api, LimitStore limits, boolean hashKeys) {
        ApiDefinition.RateLimit limit = api.globalRateLimit();
        if (limit == null || limit.disabled() || limit.rate() <= 0 || limit.per() <= 0) {
            return null;
        }
        return new ApiRateLimitFilter(limits, LimitKeys.apiLimit(api.orgId(), api.apiId(), hashKeys), limit.rate(),
                limit.per());
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        return FilterDecision.later(limits.spendRate(counter, rate, per).thenApply(verdict -> {
            if (verdict.allowed()) {
                return FilterDecision.proceed();
            }
            ClientErrorLog.info(log, request.route().api().listenPort(),
                    "api={} client={} conn={} {} {} refused: the API's rate limit of {} per {}s is spent",
                    request.route().apiId(), request.client(), request.connectionId(), request.head().method(),
                    request.path(), rate, per);
            return FilterDecision.refuse(ProxyFailure.API_RATE_LIMITED);
        }).exceptionally(failure -> RateLimitFilter.unavailable(request, failure)));
    }
}
