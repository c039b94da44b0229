package dev.gateway.auth.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Rate limits in this process, for one gateway: a token bucket per key (or per key and API), holding up to
 * {@code rate} requests and refilled at {@code rate / per} a second, as Tyk's in-memory limiter behaves. A key may
 * spend a full bucket at once, so in any window of {@code per} seconds it gets at most twice {@code rate}
 * requests, and {@code rate} per {@code per} on average; the documented error bound.
 *
 * <p>Buckets of keys that went quiet are dropped once there are more than {@value #MAX_BUCKETS}: a full bucket
 * and no bucket mean the same, so nothing is lost but memory.
 */
final class MemoryRateLimiter {

    /** Buckets kept before idle ones are swept. */
    static final int MAX_BUCKETS = 100_000;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;

    MemoryRateLimiter(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
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
        synchronized boolean take(double rate, double per, long now) {
            double refill = (now - updated) / (double) NANOS_PER_SECOND * (rate / per);
            tokens = Math.min(rate, tokens + refill);
            updated = now;
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }

        synchronized boolean full(double rate, double per, long now) {
            return tokens + (now - updated) / (double) NANOS_PER_SECOND * (rate / per) >= rate;
        }
    }

    /**
     * Whether one more request under {@code scope} may go, spending it if so.
     *
     * @param rate requests per {@code per} seconds; a rate or per of 0 or less means no limit, as in Tyk
     */
    boolean allow(String scope, double rate, double per) {
        if (rate <= 0 || per <= 0) {
            return true;
        }
        long now = nanoTime.getAsLong();
        Bucket bucket = buckets.get(scope);
        if (bucket == null) {
            if (buckets.size() >= MAX_BUCKETS) {
                buckets.values().removeIf(b -> b.full(rate, per, now));
            }
            bucket = buckets.computeIfAbsent(scope, s -> new Bucket(rate, now));
        }
        return bucket.take(rate, per, now);
    }

    int size() {
        return buckets.size();
    }
}
