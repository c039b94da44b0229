package dev.gateway.redis.internal;

import dev.gateway.core.keys.LimitStore.RateVerdict;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Tyk's fixed window, counted in leases: rather than one {@code INCR} per request, a gateway adds a lease of
 * {@link #leaseSize(long) rate / 100} requests (at least 1) to the window's counter in one script call, and spends
 * what Redis granted of it in this process. Redis grants only what keeps the window's count within the rate, so the
 * window never admits more than {@code rate} requests, whichever gateways they reach, exactly as one {@code INCR}
 * per request would. What a lease costs is the other way: a lease left unspent when its window ends was counted but
 * never used, so with {@code G} gateways a window may refuse once {@code rate - G × (lease - 1)} requests passed
 * (at most 1% of the rate per gateway). A rate under 200 has a lease of 1, so it is exact.
 *
 * <p>A window that Redis reports full stays full in this process until it ends: requests over the limit are
 * refused without a call to Redis, where Tyk makes one per refused request. While a refill is on its way, the
 * requests that need it wait for it rather than sending their own; a failed refill fails them all, so they fail
 * closed, and the next request tries again.
 */
final class WindowLeases {

    /** A lease is this fraction of the rate: each gateway holds at most 1% of a window unspent. */
    static final long LEASES_PER_WINDOW = 100;
    /** Windows remembered before the ended ones are swept. */
    static final int MAX_ENTRIES = 100_000;

    /**
     * Adds {@code lease} to a window's counter in Redis, which expires in {@code leftNanos}: answers the count after
     * it, the lease included.
     */
    @FunctionalInterface
    interface Counter {
        CompletionStage<Long> add(String windowKey, long lease, long leftNanos);
    }

    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private final Counter counter;
    private final LongSupplier epochNanos;

    WindowLeases(Counter counter, LongSupplier epochNanos) {
        this.counter = counter;
        this.epochNanos = epochNanos;
    }

    static long leaseSize(long rate) {
        return Math.max(1, rate / LEASES_PER_WINDOW);
    }

    /**
     * One request under limiter {@code key} against {@code rate} per window of {@code perNanos}, the windows starting
     * where Tyk's do ({@link RedisLimitStore#goTruncateRemainder}).
     */
    CompletionStage<RateVerdict> spend(String key, long rate, long perNanos) {
        long now = epochNanos.getAsLong();
        Window window = windows.get(key);
        if (window == null) {
            if (windows.size() >= MAX_ENTRIES) {
                windows.values().removeIf(w -> w.endedBy(now));
            }
            window = windows.computeIfAbsent(key, k -> new Window());
        }
        return window.spend(key, rate, perNanos);
    }

    /** Windows remembered, for tests. */
    int size() {
        return windows.size();
    }

    /** One limiter key's current window in this process: what is left of its leases, and the count Redis gave. */
    private final class Window {
        private long start = Long.MIN_VALUE;
        private long end;
        private long left;
        /** The window's count in Redis as last seen, leases of every gateway included. */
        private long counted;
        private boolean full;
        private CompletableFuture<Void> refill;
        /** The last {@code per} seen, and where Go's time starts within it: no BigInteger per request. */
        private long per = -1;
        private long goOffset;

        synchronized boolean endedBy(long now) {
            return now >= end && refill == null;
        }

        /** Spends from the lease, or waits for the next; the time is read again after each wait. */
        CompletionStage<RateVerdict> spend(String key, long rate, long perNanos) {
            long now = epochNanos.getAsLong();
            CompletableFuture<Void> pending;
            synchronized (this) {
                long windowStart = windowStart(now, perNanos);
                if (windowStart != start) {
                    start = windowStart;
                    end = windowStart + perNanos;
                    left = 0;
                    counted = 0;
                    full = false;
                    refill = null;
                }
                if (left > 0) {
                    left--;
                    long remaining = Math.max(0, rate - counted) + left;
                    return CompletableFuture.completedFuture(new RateVerdict(true, rate, remaining,
                            remaining > 0 ? 0 : secondsLeft(now)));
                }
                if (full) {
                    return CompletableFuture.completedFuture(new RateVerdict(false, rate, 0, secondsLeft(now)));
                }
                pending = refill;
                if (pending == null) {
                    pending = lease(key, rate, windowStart, now);
                    // a stage that failed at once has landed already: nothing for the next request to wait on
                    refill = pending.isDone() ? null : pending;
                }
            }
            return pending.thenCompose(landed -> spend(key, rate, perNanos));
        }

        /** Asks Redis for a lease; when it lands, what it granted is added here (unless the window has moved on). */
        private CompletableFuture<Void> lease(String key, long rate, long windowStart, long now) {
            long lease = leaseSize(rate);
            CompletableFuture<Void> landed = new CompletableFuture<>();
            counter.add(key + "/" + windowStart, lease, end - now).whenComplete((count, failure) -> {
                synchronized (this) {
                    if (start == windowStart) {
                        refill = null;
                        if (failure == null) {
                            long granted = Math.max(0, Math.min(lease, rate - (count - lease)));
                            left += granted;
                            counted = Math.max(counted, count);
                            full = granted < lease || count >= rate;
                        }
                    }
                }
                if (failure == null) {
                    landed.complete(null);
                } else {
                    landed.completeExceptionally(failure);
                }
            });
            return landed;
        }

        /** Go's {@code Time.Truncate(per)} of {@code now}. */
        private long windowStart(long now, long perNanos) {
            if (perNanos != per) {
                per = perNanos;
                goOffset = RedisLimitStore.goTruncateRemainder(0, perNanos);
            }
            return now - Math.floorMod(Math.floorMod(now, perNanos) + goOffset, perNanos);
        }

        private long secondsLeft(long now) {
            return Math.max(1, -Math.floorDiv(-(end - now), 1_000_000_000L));
        }
    }
}
