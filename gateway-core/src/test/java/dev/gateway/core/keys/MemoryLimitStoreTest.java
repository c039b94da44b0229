package dev.gateway.core.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The in-memory limits on clocks the test turns: the burst, the refill, the bound, the sweep; quota periods. */
class MemoryLimitStoreTest {

    private final AtomicLong now = new AtomicLong(5_000_000_000L);
    private final AtomicLong epoch = new AtomicLong(1_800_000_000L);
    private final MemoryLimitStore limiter = new MemoryLimitStore(now::get, epoch::get);

    private boolean allow(String key, double rate, double per) {
        return limiter.spendRate(key, rate, per).toCompletableFuture().join().allowed();
    }

    private int allowed(String scope, int tries, double rate, double per) {
        int ok = 0;
        for (int i = 0; i < tries; i++) {
            ok += allow(scope, rate, per) ? 1 : 0;
        }
        return ok;
    }

    private LimitStore.QuotaVerdict quota(String key, long max, long renewal) {
        return limiter.spendQuota(key, max, renewal).toCompletableFuture().join();
    }

    @Test
    void verdictsCountDownAndSayWhenATokenComesBack() {
        LimitStore.RateVerdict first = limiter.spendRate("k", 3, 3).toCompletableFuture().join();
        assertEquals(new LimitStore.RateVerdict(true, 3, 2, 0), first);
        allowed("k", 2, 3, 3);
        LimitStore.RateVerdict refused = limiter.spendRate("k", 3, 3).toCompletableFuture().join();
        assertEquals(new LimitStore.RateVerdict(false, 3, 0, 1), refused);
    }

    @Test
    void aQuotaPassesRequestsOneToMaxThenRenews() {
        for (int i = 1; i <= 3; i++) {
            assertEquals(new LimitStore.QuotaVerdict(true, 3 - i, 1_800_000_060L), quota("q", 3, 60));
        }
        assertEquals(new LimitStore.QuotaVerdict(false, 0, 1_800_000_060L), quota("q", 3, 60));
        epoch.addAndGet(60);
        assertEquals(new LimitStore.QuotaVerdict(true, 2, 1_800_000_120L), quota("q", 3, 60), "a new period");
        limiter.resetQuota("q");
        assertEquals(2, quota("q", 3, 60).remaining(), "reset: counted from zero again");
        assertEquals(new LimitStore.QuotaVerdict(true, 0, 0), quota("once", 1, 0), "no renewal: never ends");
        assertTrue(quota("free", 0, 60).allowed(), "no quota_max: no quota");
    }

    @Test
    void theRatePlusFirstRequestIsRefused() {
        assertEquals(10, allowed("k", 11, 10, 1));
        assertFalse(allow("k", 10, 1));
        assertTrue(allow("other", 10, 1), "each key has its own bucket");
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
        assertEquals(0, limiter.buckets(), "and no bucket");
    }

    @Test
    void quietKeysAreSweptPastTheBound() {
        for (int i = 0; i < MemoryLimitStore.MAX_ENTRIES; i++) {
            allow("k" + i, 10, 1);
        }
        now.addAndGet(TimeUnit.SECONDS.toNanos(2));
        allow("fresh", 10, 1);
        assertEquals(1, limiter.buckets(), "every refilled bucket went");
    }
}
