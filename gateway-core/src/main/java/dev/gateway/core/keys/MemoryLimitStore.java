package dev.gateway.core.keys;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The default {@link LimitStore}: limits counted in this process, for one gateway.
 *
 * <p><b>Rate limits</b> are a token bucket per key, holding up to {@code rate} requests and refilled at
 * {@code rate / per} a second, as Tyk's in-memory limiter behaves. A key may spend a full bucket at once, so in any
 * window of {@code per} seconds it gets at most twice {@code rate} requests, and {@code rate} per {@code per} on
 * average: the documented error bound.
 *
 * <p><b>Quotas</b> are a counter per key that starts again {@code renewalSeconds} after the first request of its
 * period, as Tyk's Redis quota key expires.
 *
 * <p>Buckets and counters of keys that went quiet are dropped once there are more than {@value #MAX_ENTRIES} of
 * either: a full bucket and no bucket mean the same, as do an ended period and none.
 */
public final class MemoryLimitStore implements LimitStore {

    /** Buckets, and quota counters, kept before idle ones are swept. */
    static final int MAX_ENTRIES = 100_000;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Map<String, Quota> quotas = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;
    private final LongSupplier epochSeconds;

    public MemoryLimitStore() {
        this(System::nanoTime, () -> System.currentTimeMillis() / 1000);
    }

    /** With clocks of the caller's, for tests. */
    public MemoryLimitStore(LongSupplier nanoTime, LongSupplier epochSeconds) {
        this.nanoTime = nanoTime;
        this.epochSeconds = epochSeconds;
    }

    /** One key's bucket: tokens as of {@code updated}. */
    private static final class Bucket {
        private double tokens;
        private long updated;

        Bucket(double tokens, long updated) {
            this.tokens = tokens;
            this.updated = updated;
        }

        /** Refills for the time passed, then spends one token if there is one. */
        synchronized RateVerdict take(double rate, double per, long now) {
            double perSecond = rate / per;
            tokens = Math.min(rate, tokens + (now - updated) / (double) NANOS_PER_SECOND * perSecond);
            updated = now;
            boolean allowed = tokens >= 1;
            if (allowed) {
                tokens -= 1;
            }
            long reset = tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / perSecond);
            return new RateVerdict(allowed, (long) rate, (long) Math.floor(tokens), reset);
        }

        synchronized boolean full(double rate, double per, long now) {
            return tokens + (now - updated) / (double) NANOS_PER_SECOND * (rate / per) >= rate;
        }
    }

    /** One key's quota period: requests counted since it began; {@code endsAt} 0 when it never renews. */
    private static final class Quota {
        private long count;
        private long endsAt;

        synchronized QuotaVerdict spend(long quotaMax, long renewalSeconds, long now) {
            if (endsAt != 0 && now >= endsAt) {
                count = 0;
                endsAt = 0;
            }
            if (count == 0 && endsAt == 0 && renewalSeconds > 0) {
                endsAt = now + renewalSeconds;
            }
            count++;
            return new QuotaVerdict(count <= quotaMax, Math.max(0, quotaMax - count), endsAt);
        }

        synchronized boolean ended(long now) {
            return endsAt != 0 && now >= endsAt;
        }
    }

    /** A rate or per of 0 or less means no limit, as in Tyk. */
    @Override
    public CompletionStage<RateVerdict> spendRate(String key, double rate, double per) {
        if (rate <= 0 || per <= 0) {
            return CompletableFuture.completedFuture(new RateVerdict(true, 0, 0, 0));
        }
        long now = nanoTime.getAsLong();
        Bucket bucket = buckets.get(key);
        if (bucket == null) {
            if (buckets.size() >= MAX_ENTRIES) {
                buckets.values().removeIf(b -> b.full(rate, per, now));
            }
            bucket = buckets.computeIfAbsent(key, s -> new Bucket(rate, now));
        }
        return CompletableFuture.completedFuture(bucket.take(rate, per, now));
    }

    /** A {@code quotaMax} of 0 or less means no quota, as in Tyk. */
    @Override
    public CompletionStage<QuotaVerdict> spendQuota(String key, long quotaMax, long renewalSeconds) {
        if (quotaMax <= 0) {
            return CompletableFuture.completedFuture(new QuotaVerdict(true, 0, 0));
        }
        long now = epochSeconds.getAsLong();
        Quota quota = quotas.get(key);
        if (quota == null) {
            if (quotas.size() >= MAX_ENTRIES) {
                quotas.values().removeIf(q -> q.ended(now));
            }
            quota = quotas.computeIfAbsent(key, k -> new Quota());
        }
        return CompletableFuture.completedFuture(quota.spend(quotaMax, renewalSeconds, now));
    }

    @Override
    public CompletionStage<Void> resetQuota(String key) {
        quotas.remove(key);
        return CompletableFuture.completedFuture(null);
    }

    /** Buckets held, for tests. */
    int buckets() {
        return buckets.size();
    }
}
