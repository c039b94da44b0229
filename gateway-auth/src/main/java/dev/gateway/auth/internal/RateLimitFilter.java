package dev.gateway.auth.internal;

import dev.gateway.core.config.AuthSettings;
import dev.gateway.core.keys.LimitKeys;
import dev.gateway.core.keys.LimitStore;
import dev.gateway.core.keys.Session;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tyk's {@code RateLimitAndQuotaCheck}: the key's rate limit, then its quota, counted in the {@link LimitStore}
 * under Tyk's names. The limits are those of the key's access right on this API when it sets any
 * ({@code access_rights[api].limit}, counted under its {@code allowance_scope}), else the session's own. A spent
 * rate is 429 "Rate Limit Exceeded"; a spent quota 403 "Quota exceeded"; a store that does not answer 503, failing
 * closed (Tyk answers 500). What the limits said is kept for the {@code X-RateLimit-*} headers.
 */
final class RateLimitFilter implements RequestFilter {

    private static final Logger log = LoggerFactory.getLogger(RateLimitFilter.class);

    private final LimitStore limits;
    private final boolean hashKeys;
    private final boolean headersFromRate;
    private final boolean checkRate;
    private final boolean checkQuota;
    private final LongSupplier epochSeconds;

    RateLimitFilter(LimitStore limits, AuthSettings settings, boolean checkRate, boolean checkQuota,
            LongSupplier epochSeconds) {
        this.limits = limits;
        this.hashKeys = settings.hashKeys();
        this.headersFromRate = AuthSettings.HEADERS_FROM_RATE_LIMITS.equals(settings.rateLimitResponseHeaders());
        this.checkRate = checkRate;
        this.checkQuota = checkQuota;
        this.epochSeconds = epochSeconds;
    }

    /** The limits that apply to one key on one API, and the scope their counters are kept under. */
    private record Applied(double rate, double per, long quotaMax, long quotaRemaining, long renewal, long renews,
            String scope) {

        static Applied of(Session session, String apiId) {
            Session.AccessRight right = session.accessRight(apiId);
            if (right != null && right.limit() != null && !right.limit().isEmpty()) {
                Session.Limit l = right.limit();
                return new Applied(l.rate(), l.per(), l.quotaMax(), l.quotaRemaining(), l.quotaRenewalRate(),
                        l.quotaRenews(), right.allowanceScope());
            }
            return new Applied(session.rate(), session.per(), session.quotaMax(), session.quotaRemaining(),
                    session.quotaRenewalRate(), session.quotaRenews(), "");
        }
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        Session session = request.get(SessionKey.SESSION);
        String key = request.get(SessionKey.KEY);
        if (session == null || key == null) {
            return FilterDecision.proceed();
        }
        Applied applied = Applied.of(session, request.route().apiId());
        CompletionStage<LimitStore.RateVerdict> rate = checkRate && applied.rate() > 0 && applied.per() > 0
                ? limits.spendRate(LimitKeys.rateLimit(key, applied.scope(), hashKeys), applied.rate(),
                        applied.per())
                : CompletableFuture.completedFuture(null);
        return FilterDecision.later(rate.thenCompose(verdict -> {
            if (verdict != null && !verdict.allowed()) {
                return CompletableFuture.completedFuture(rateLimited(request, verdict));
            }
            return quota(request, key, applied, verdict);
        }).exceptionally(failure -> unavailable(request, failure)));
    }

    private CompletionStage<FilterDecision> quota(FilteredRequest request, String key, Applied applied,
            LimitStore.RateVerdict rate) {
        if (!checkQuota || applied.quotaMax() <= 0) {
            keepHeaders(request, rate, new RateHeaders(applied.quotaMax(), applied.quotaRemaining(),
                    applied.renews()));
            return CompletableFuture.completedFuture(FilterDecision.proceed());
        }
        return limits.spendQuota(LimitKeys.quota(key, applied.scope(), hashKeys), applied.quotaMax(),
                applied.renewal()).thenApply(quota -> {
                    if (!quota.allowed()) {
                        ClientErrorLog.info(log, request.route().api().listenPort(),
                                "api={} client={} conn={} {} {} refused: quota of {} spent", request.route().apiId(),
                                request.client(), request.connectionId(), request.head().method(), request.path(),
                                applied.quotaMax());
                        return FilterDecision.refuse(ProxyFailure.QUOTA_EXCEEDED);
                    }
                    keepHeaders(request, rate, new RateHeaders(applied.quotaMax(), quota.remaining(),
                            quota.renewsAt()));
                    return FilterDecision.proceed();
                });
    }

    private void keepHeaders(FilteredRequest request, LimitStore.RateVerdict rate, RateHeaders fromQuota) {
        if (!headersFromRate) {
            request.set(SessionKey.RATE_HEADERS, fromQuota);
        } else if (rate != null) {
            request.set(SessionKey.RATE_HEADERS, fromRate(rate));
        }
    }

    private RateHeaders fromRate(LimitStore.RateVerdict rate) {
        return new RateHeaders(rate.limit(), rate.remaining(), epochSeconds.getAsLong() + rate.resetSeconds());
    }

    private FilterDecision rateLimited(FilteredRequest request, LimitStore.RateVerdict verdict) {
        ClientErrorLog.info(log, request.route().api().listenPort(),
                "api={} client={} conn={} {} {} refused: rate limit of {} spent", request.route().apiId(),
                request.client(), request.connectionId(), request.head().method(), request.path(), verdict.limit());
        return FilterDecision.refuse(ProxyFailure.RATE_LIMITED,
                headersFromRate ? fromRate(verdict).asHeaders() : EmptyHttpHeaders.INSTANCE);
    }

    static FilterDecision unavailable(FilteredRequest request, Throwable failure) {
        ClientErrorLog.warn(log, request.route().api().listenPort(),
                "api={} client={} conn={} the limit store did not answer: {}", request.route().apiId(),
                request.client(), request.connectionId(), failure.toString());
        return FilterDecision.refuse(ProxyFailure.KEY_STORE_UNAVAILABLE);
    }
}
