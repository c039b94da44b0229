package dev.gateway.redis.internal;

import dev.gateway.core.keys.LimitStore;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Rate limits and quotas counted in Redis with Tyk's algorithms under Tyk's key names, so that a limit holds across
 * every gateway sharing the Redis, Tyk's included. Each decision is one Lua script on one key (one round trip,
 * atomic, and slot-safe on a cluster).
 *
 * <p><b>Fixed window</b> (Tyk's {@code enable_fixed_window_rate_limiter}; the default here): a counter per window
 * named {@code <limiter key>/<window start in Unix ns>}, the window being the time truncated to {@code per} as Go's
 * {@code Time.Truncate} does (from year 1, so a 7 s window starts where Tyk's does). Requests 1 to {@code rate} of a
 * window pass; up to twice {@code rate} may pass across a window boundary, as with Tyk. Where Tyk adds 1 per
 * request, this store adds leases of {@code rate / 100} requests and spends them in this process
 * ({@link WindowLeases}, which also states the error bound): one Redis call per lease, not per request.
 *
 * <p><b>Sliding log</b> (Tyk's {@code enable_redis_rolling_limiter}): a sorted set under the limiter key holds a
 * member per request of the last {@code per} seconds. A request is refused when the log already holds {@code rate}
 * requests (Tyk: {@code count > rate - 1}), so the (rate+1)th request in any window of {@code per} seconds is
 * refused, whichever gateway it reaches: the bound is exact, and it costs one script per request. Refused requests
 * are logged too, as Tyk's are, so a client that keeps calling over its limit stays refused until it slows down.
 * Members are the time in ns plus a per-store suffix, where Tyk's are the time alone: two requests in the same
 * nanosecond are both counted.
 *
 * <p><b>Quotas</b>: Tyk's {@code RedisQuotaExceeded} in one script (see {@code quota.lua}): requests 1 to
 * {@code quotaMax} of a period pass, and the period is the counter's TTL.
 *
 * <p>Times come from this gateway's clock, as Tyk's do: gateways sharing limits need synchronised clocks (NTP); a
 * skew of s seconds moves a sliding window by s. Fractional rates are truncated to whole requests, as Tyk's
 * {@code int64(rate)}; fractional {@code per} is kept to the millisecond (Tyk truncates it to whole seconds).
 */
public final class RedisLimitStore implements LimitStore {

    private static final LuaScript SLIDING_LOG = LuaScript.load("sliding_log.lua");
    private static final LuaScript FIXED_WINDOW = LuaScript.load("fixed_window.lua");
    private static final LuaScript QUOTA = LuaScript.load("quota.lua");

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long NANOS_PER_MILLI = 1_000_000L;
    /** Seconds from Go's zero time (0001-01-01 UTC), which {@code Time.Truncate} counts from, to the Unix epoch. */
    private static final BigInteger GO_ZERO_TO_UNIX_NANOS = BigInteger.valueOf(62_135_596_800L)
            .multiply(BigInteger.valueOf(NANOS_PER_SECOND));

    private static final RateVerdict UNLIMITED_RATE = new RateVerdict(true, 0, 0, 0);
    private static final QuotaVerdict UNLIMITED_QUOTA = new QuotaVerdict(true, 0, 0);

    private final RedisClusterAsyncCommands<String, byte[]> redis;
    private final boolean slidingLog;
    private final WindowLeases leases;
    private final LongSupplier epochNanos;
    /** Makes this store's log members unique: a random tag, then a sequence. */
    private final String memberTag = Long.toHexString(ThreadLocalRandom.current().nextLong());
    private final AtomicLong sequence = new AtomicLong();

    /**
     * @param slidingLog Tyk's sliding log rather than the (leased) fixed window
     */
    public RedisLimitStore(RedisClusterAsyncCommands<String, byte[]> redis, boolean slidingLog) {
        this(redis, slidingLog, RedisLimitStore::systemEpochNanos);
    }

    /** With a clock of the caller's (Unix nanoseconds), for tests. */
    RedisLimitStore(RedisClusterAsyncCommands<String, byte[]> redis, boolean slidingLog, LongSupplier epochNanos) {
        this.redis = redis;
        this.slidingLog = slidingLog;
        this.epochNanos = epochNanos;
        this.leases = new WindowLeases(this::addToWindow, epochNanos);
    }

    /** A rate or per of 0 or less means no limit, as in Tyk. */
    @Override
    public CompletionStage<RateVerdict> spendRate(String key, double rate, double per) {
        if (rate <= 0 || per <= 0) {
            return CompletableFuture.completedFuture(UNLIMITED_RATE);
        }
        long perNanos = Math.max(1, (long) (per * NANOS_PER_SECOND));
        return slidingLog ? slidingLog(key, (long) rate, perNanos) : leases.spend(key, (long) rate, perNanos);
    }

    private CompletionStage<RateVerdict> slidingLog(String key, long rate, long perNanos) {
        long now = epochNanos.getAsLong();
        String member = now + "-" + memberTag + "-" + sequence.incrementAndGet();
        CompletionStage<List<Long>> result = SLIDING_LOG.run(redis, ScriptOutputType.MULTI, key, bytes(now),
                bytes(now - perNanos), member.getBytes(StandardCharsets.US_ASCII), bytes(ceilDiv(perNanos,
                        NANOS_PER_MILLI)), bytes(rate));
        return result.thenApply(reply -> {
            long before = reply.get(0);
            long waitMillis = reply.get(1);
            boolean allowed = before < rate;
            return new RateVerdict(allowed, rate, Math.max(0, rate - before - 1), ceilDiv(waitMillis, 1_000));
        });
    }

    private CompletionStage<Long> addToWindow(String windowKey, long lease, long leftNanos) {
        return FIXED_WINDOW.run(redis, ScriptOutputType.INTEGER, windowKey,
                bytes(ceilDiv(leftNanos, NANOS_PER_MILLI)), bytes(lease));
    }

    /** A {@code quotaMax} of 0 or less means no quota, as in Tyk. */
    @Override
    public CompletionStage<QuotaVerdict> spendQuota(String key, long quotaMax, long renewalSeconds) {
        if (quotaMax <= 0) {
            return CompletableFuture.completedFuture(UNLIMITED_QUOTA);
        }
        CompletionStage<List<Long>> result = QUOTA.run(redis, ScriptOutputType.MULTI, key,
                bytes(Math.max(0, renewalSeconds)));
        return result.thenApply(reply -> {
            long count = reply.get(0);
            long ttlMillis = reply.get(1);
            long renewsAt = ttlMillis > 0
                    ? ceilDiv(epochNanos.getAsLong() / NANOS_PER_MILLI + ttlMillis, 1_000) : 0;
            return new QuotaVerdict(count <= quotaMax, Math.max(0, quotaMax - count), renewsAt);
        });
    }

    /**
     * Deletes the quota counter. Tyk's {@code ResetQuota} also deletes {@code <rate-limit key>.BLOCKED}, the mark of
     * its sentinel rate limiter, which this gateway neither writes nor reads; a caller sharing Redis with Tyk
     * gateways that use it deletes that key itself.
     */
    @Override
    public CompletionStage<Void> resetQuota(String key) {
        return redis.del(key).thenApply(removed -> null);
    }

    /** The digest the sliding log runs under, for tests. */
    static String slidingLogSha() {
        return SLIDING_LOG.sha1();
    }

    /** {@code now} minus Go's {@code now.Truncate(per)}, in ns: how far into its window {@code now} is. */
    static long goTruncateRemainder(long epochNanos, long perNanos) {
        return BigInteger.valueOf(epochNanos).add(GO_ZERO_TO_UNIX_NANOS).mod(BigInteger.valueOf(perNanos))
                .longValueExact();
    }

    private static long ceilDiv(long x, long y) {
        return -Math.floorDiv(-x, y);
    }

    private static byte[] bytes(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }

    private static long systemEpochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * NANOS_PER_SECOND + now.getNano();
    }
}
