package dev.gateway.auth.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The in-memory limiter on a clock the test turns: the burst, the refill, the bound, the sweep. */
class MemoryRateLimiterTest {

    private final AtomicLong now = new AtomicLong(5_000_000_000L);
    private final MemoryRateLimiter limiter = new MemoryRateLimiter(now::get);

    private int allowed(String scope, int tries, double rate, double per) {
        int ok = 0;
        for (int i = 0; i < tries; i++) {
            ok += limiter.allow(scope, rate, per) ? 1 : 0;
        }
        return ok;
    }

    @Test
    void theRatePlusFirstRequestIsRefused() {
        assertEquals(10, allowed("k", 11, 10, 1));
        assertFalse(limiter.allow("k", 10, 1));
        assertTrue(limiter.allow("other", 10, 1), "each key has its own bucket");
    }

    @Test
    void tokensComeBackAtRateOverPer() {
        assertEquals(10, allowed("k", 10, 10, 60));
        now.addAndGet(TimeUnit.SECONDS.toNanos(6));
        assertEquals(1, allowed("k", 5, 10, 60), "one request's worth per six seconds");
        now.addAndGet(TimeUnit.SECONDS.toNanos(600));
        assertEquals(10, allowed("k", 20, 10, 60), "never more than a full bucket");
    }

    @Test
    void anyWindowOfPerSecondsSeesAtMostTwiceTheRate() {
        int total = allowed("k", 100, 10, 1);
        for (int step = 0; step < 10; step++) {
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
            total += allowed("k", 100, 10, 1);
        }
        assertTrue(total <= 20, "in one second and its start: " + total);
        assertTrue(total >= 19, "and about rate on top of the burst: " + total);
    }

    @Test
    void noRateMeansNoLimit() {
        assertEquals(1000, allowed("k", 1000, 0, 0));
        assertEquals(0, limiter.size(), "and no bucket");
    }

    @Test
    void quietKeysAreSweptPastTheBound() {
        for (int i = 0; i < MemoryRateLimiter.MAX_BUCKETS; i++) {
            limiter.allow("k" + i, 10, 1);
        }
        now.addAndGet(TimeUnit.SECONDS.toNanos(2));
        limiter.allow("fresh", 10, 1);
        assertEquals(1, limiter.size(), "every refilled bucket went");
    }
}
