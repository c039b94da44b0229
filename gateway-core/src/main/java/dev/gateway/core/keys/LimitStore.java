package dev.gateway.core.keys;

import java.util.concurrent.CompletionStage;

/**
 * Where rate limits and quotas are counted: in this process for one gateway ({@link MemoryLimitStore}), or in Redis
 * when several gateways share them, under Tyk's key names ({@link LimitKeys}). As with {@link KeyStore}, every call
 * returns at once; a failed stage means the store could not answer.
 */
public interface LimitStore {

    /**
     * One request against a rate limit.
     *
     * @param allowed the request may go
     * @param limit the limit's {@code rate}
     * @param remaining requests left in the current window, never below 0
     * @param resetSeconds seconds until a request would be allowed again, or the window renews
     */
    record RateVerdict(boolean allowed, long limit, long remaining, long resetSeconds) {
    }

    /**
     * One request against a quota.
     *
     * @param allowed the request may go
     * @param remaining requests left in this quota period, never below 0
     * @param renewsAt Unix seconds when the period ends and the count starts again; 0 when it never renews
     */
    record QuotaVerdict(boolean allowed, long remaining, long renewsAt) {
    }

    /**
     * Counts one request under {@code key} against {@code rate} requests per {@code per} seconds.
     *
     * @param key Tyk's limiter key ({@link LimitKeys#rateLimit})
     */
    CompletionStage<RateVerdict> spendRate(String key, double rate, double per);

    /**
     * Counts one request under {@code key} against a quota of {@code quotaMax} requests, renewed every
     * {@code renewalSeconds} (never when 0 or less): requests 1 to {@code quotaMax} of a period pass, as in Tyk.
     *
     * @param key Tyk's quota key ({@link LimitKeys#quota})
     */
    CompletionStage<QuotaVerdict> spendQuota(String key, long quotaMax, long renewalSeconds);

    /** Forgets the count under a quota {@code key}, as Tyk's {@code ResetQuota} does when a key is written. */
    CompletionStage<Void> resetQuota(String key);
}
