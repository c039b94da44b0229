package dev.gateway.redis.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.keys.LimitStore;
import dev.gateway.core.keys.LimitStore.QuotaVerdict;
import dev.gateway.core.keys.LimitStore.RateVerdict;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.RedisServer;
import dev.gateway.redis.RawRedis;
import dev.gateway.redis.StorageConf;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limits against a real redis-server, each counted by two stores on two connections (two gateways), on one
 * controllable clock unless the test is about real time.
 */
class RedisLimitStoreTest {

    private static final long SECOND = 1_000_000_000L;
    /** 2026-12-05T12:00:00Z in Unix ns: a whole minute, so a 1 s or 60 s window starts exactly here. */
    private static final long T0 = 1_796_472_000L * SECOND;

    @RegisterExtension
    final Closer closer = new Closer();

    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong(T0);
    private RawRedis raw;
    private RedisConnection first;
    private RedisConnection second;

    @BeforeEach
    void start() throws Exception {
        RedisServer server = closer.later(RedisServer.start(dir));
        raw = closer.later(new RawRedis(server.port()));
        first = closer.later(RedisConnection.open(StorageConf.standalone(dir, server.port(), 2)));
        second = closer.later(RedisConnection.open(StorageConf.standalone(dir, server.port(), 2)));
    }

    private LimitStore[] gateways(boolean slidingLog) {
        return new LimitStore[] {new RedisLimitStore(first.commands(), slidingLog, clock::get),
            new RedisLimitStore(second.commands(), slidingLog, clock::get)};
    }

    @Test
    void slidingLogRefusesTheRequestAfterRateInAWindowAcrossGateways() throws Exception {
        LimitStore[] gateways = gateways(true);

        List<RateVerdict> verdicts = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            clock.addAndGet(SECOND / 100);
            verdicts.add(await(gateways[i % 2].spendRate("rate-limit-k", 10, 1)));
        }

        for (int i = 0; i < 10; i++) {
            assertTrue(verdicts.get(i).allowed(), "request " + (i + 1));
            assertEquals(9 - i, verdicts.get(i).remaining());
        }
        assertFalse(verdicts.get(10).allowed(), "the 11th of 10/s");
        assertFalse(verdicts.get(11).allowed());
        assertEquals(1, verdicts.get(10).resetSeconds(), "a slot frees when the first request is 1 s old");
        assertEquals("zset", raw.sync().type("rate-limit-k"), "Tyk's layout: a sorted set under the limiter key");
        assertEquals(12, raw.sync().zcard("rate-limit-k"), "refused requests are logged too, as Tyk's are");
        long ttl = raw.sync().pttl("rate-limit-k");
        assertTrue(ttl > 0 && ttl <= 1_000, "the log lives one window: " + ttl);
    }

    @Test
    void slidingLogAllowsAgainOnceTheWindowHasMovedPastEnoughRequests() throws Exception {
        LimitStore[] gateways = gateways(true);
        for (int i = 0; i < 3; i++) {
            assertTrue(await(gateways[i % 2].spendRate("rate-limit-k", 3, 1)).allowed());
            clock.addAndGet(SECOND / 10);
        }
        assertFalse(await(gateways[1].spendRate("rate-limit-k", 3, 1)).allowed(), "at +0.3 s");

        clock.set(T0 + SECOND + 1);
        // the window (T0 + 1 ns, now] still holds the requests at +0.1, +0.2 and the refused one at +0.3
        assertFalse(await(gateways[0].spendRate("rate-limit-k", 3, 1)).allowed());
        clock.set(T0 + 2 * SECOND);
        assertTrue(await(gateways[0].spendRate("rate-limit-k", 3, 1)).allowed(), "a quiet second later");
    }

    @Test
    void slidingLogHoldsTenPerSecondOnTheRealClockUnderABurstFromTwoGateways() throws Exception {
        LimitStore[] gateways = {new RedisLimitStore(first.commands(), true),
            new RedisLimitStore(second.commands(), true)};
        long started = System.nanoTime();
        List<CompletableFuture<RateVerdict>> burst = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            burst.add(gateways[i % 2].spendRate("rate-limit-burst", 10, 1).toCompletableFuture());
        }
        CompletableFuture.allOf(burst.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        long elapsedMillis = (System.nanoTime() - started) / 1_000_000;

        long allowed = burst.stream().filter(f -> f.join().allowed()).count();
        // Every request of the burst lies within one second unless the machine stalled for most of one.
        assertTrue(elapsedMillis < 1_000, "the burst took " + elapsedMillis + " ms");
        assertEquals(10, allowed);
    }

    @Test
    void fixedWindowCountsUnderTyksWindowKeyAndStartsAgainInTheNextWindow() throws Exception {
        LimitStore[] gateways = gateways(false);
        clock.set(T0 + SECOND / 4);

        List<RateVerdict> verdicts = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            verdicts.add(await(gateways[i % 2].spendRate("rate-limit-k", 10, 1)));
        }

        assertTrue(verdicts.get(9).allowed());
        assertEquals(0, verdicts.get(9).remaining());
        assertFalse(verdicts.get(10).allowed(), "the 11th of 10 in the window");
        assertEquals(1, verdicts.get(10).resetSeconds());
        String windowKey = "rate-limit-k/" + T0;
        assertEquals("11", raw.sync().get(windowKey), "Tyk's counter: <limiter key>/<window start in ns>");
        long ttl = raw.sync().pttl(windowKey);
        assertTrue(ttl > 0 && ttl <= 750, "expires with its window: " + ttl);

        clock.set(T0 + SECOND);
        assertTrue(await(gateways[1].spendRate("rate-limit-k", 10, 1)).allowed(), "a new window");
        assertEquals("1", raw.sync().get("rate-limit-k/" + (T0 + SECOND)));
    }

    @Test
    void aHighRateIsCountedInLeasesThatNeverLetTheWindowPastItsRate() throws Exception {
        LimitStore[] gateways = gateways(false);
        clock.set(T0 + SECOND / 4);
        String windowKey = "rate-limit-k/" + T0;

        RateVerdict firstVerdict = await(gateways[0].spendRate("rate-limit-k", 1000, 1));
        assertTrue(firstVerdict.allowed());
        assertEquals("10", raw.sync().get(windowKey), "one lease of 1% of the rate");
        assertEquals(999, firstVerdict.remaining(), "what Redis has left plus what the lease has left");
        for (int i = 0; i < 9; i++) {
            assertTrue(await(gateways[0].spendRate("rate-limit-k", 1000, 1)).allowed());
        }
        assertEquals("10", raw.sync().get(windowKey), "the lease was spent without Redis");

        int allowed = 10;
        for (int i = 0; i < 1100; i++) {
            allowed += await(gateways[i % 2].spendRate("rate-limit-k", 1000, 1)).allowed() ? 1 : 0;
        }
        assertEquals(1000, allowed, "the leases of both gateways together: exactly the rate");
        long counted = Long.parseLong(raw.sync().get(windowKey));
        assertTrue(counted >= 1000 && counted <= 1000 + 2 * 10, "a full window costs no call per refusal: " + counted);

        clock.set(T0 + SECOND);
        assertTrue(await(gateways[1].spendRate("rate-limit-k", 1000, 1)).allowed(), "a new window, a new lease");
        assertEquals("10", raw.sync().get("rate-limit-k/" + (T0 + SECOND)));
    }

    @Test
    void leasesLeftUnspentByOtherGatewaysRefuseNoMoreThanTheDocumentedBound() throws Exception {
        LimitStore[] gateways = gateways(false);
        clock.set(T0 + SECOND / 4);
        // the second gateway takes a lease of 3 and spends 1 of it; the first gets the rest of the window
        assertTrue(await(gateways[1].spendRate("rate-limit-k", 300, 1)).allowed());
        int allowed = 0;
        for (int i = 0; i < 400; i++) {
            allowed += await(gateways[0].spendRate("rate-limit-k", 300, 1)).allowed() ? 1 : 0;
        }
        assertEquals(300 - 1 - 2, allowed, "rate - the other gateway's spent one - its unspent lease (lease - 1)");
        assertTrue(await(gateways[1].spendRate("rate-limit-k", 300, 1)).allowed(), "its lease is still its own");
    }

    @Test
    void concurrentRequestsWaitForOneLeaseRatherThanEachAskingRedis() throws Exception {
        LimitStore store = gateways(false)[0];
        clock.set(T0 + SECOND / 4);
        List<CompletableFuture<RateVerdict>> burst = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            burst.add(store.spendRate("rate-limit-k", 1000, 1).toCompletableFuture());
        }
        CompletableFuture.allOf(burst.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);

        assertTrue(burst.stream().allMatch(f -> f.join().allowed()));
        assertEquals("200", raw.sync().get("rate-limit-k/" + T0), "20 leases of 10, none asked twice");
    }

    @Test
    void windowsStartWhereGosTimeTruncateStartsThem() {
        // Go counts from 0001-01-01: 62135596800 s before the epoch, 4 more than a multiple of 7 s.
        assertEquals(4 * SECOND, RedisLimitStore.goTruncateRemainder(0, 7 * SECOND));
        assertEquals(0, RedisLimitStore.goTruncateRemainder(T0, 60 * SECOND));
        assertEquals(SECOND / 4, RedisLimitStore.goTruncateRemainder(T0 + SECOND / 4, SECOND));
        assertEquals(3 * SECOND, RedisLimitStore.goTruncateRemainder(-SECOND, 7 * SECOND));
    }

    @Test
    void noLimitWhenRateOrPerIsZero() throws Exception {
        assertTrue(await(gateways(true)[0].spendRate("rate-limit-k", 0, 1)).allowed());
        assertTrue(await(gateways(false)[0].spendRate("rate-limit-k", 5, 0)).allowed());
        assertEquals(0, raw.sync().exists("rate-limit-k"), "nothing written");
    }

    @Test
    void quotaIsSharedAndRenewsWhenItsPeriodEnds() throws Exception {
        LimitStore[] gateways = {new RedisLimitStore(first.commands(), false),
            new RedisLimitStore(second.commands(), false)};
        long startedAt = System.currentTimeMillis() / 1000;
        List<QuotaVerdict> verdicts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            verdicts.add(await(gateways[i % 2].spendQuota("quota-k", 3, 1)));
        }

        assertEquals(List.of(true, true, true, false), verdicts.stream().map(QuotaVerdict::allowed).toList());
        assertEquals(List.of(2L, 1L, 0L, 0L), verdicts.stream().map(QuotaVerdict::remaining).toList());
        long renewsAt = verdicts.get(0).renewsAt();
        assertTrue(renewsAt >= startedAt + 1 && renewsAt <= startedAt + 2, renewsAt + " vs " + startedAt);
        long ttl = raw.sync().pttl("quota-k");
        assertTrue(ttl > 0 && ttl <= 1_000, "Tyk's layout: the counter expires with its period: " + ttl);

        QuotaVerdict renewed = poll(() -> gateways[1].spendQuota("quota-k", 3, 1), QuotaVerdict::allowed, 5);
        assertEquals(2, renewed.remaining(), "the first request of the new period");
    }

    @Test
    void quotaWithoutRenewalNeverRenews() throws Exception {
        LimitStore store = gateways(true)[0];
        assertTrue(await(store.spendQuota("quota-k", 1, 0)).allowed());
        QuotaVerdict over = await(store.spendQuota("quota-k", 1, 0));

        assertFalse(over.allowed());
        assertEquals(0, over.renewsAt());
        assertEquals(-1, raw.sync().pttl("quota-k"), "no TTL: the count stays");
    }

    @Test
    void aQuotaCounterWithoutTtlStartsAPeriodAsTyksDoes() throws Exception {
        raw.sync().set("quota-k", "100");

        QuotaVerdict verdict = await(gateways(true)[0].spendQuota("quota-k", 5, 60));

        assertTrue(verdict.allowed());
        assertEquals(4, verdict.remaining());
        assertTrue(raw.sync().ttl("quota-k") > 0);
    }

    @Test
    void resetQuotaForgetsTheCount() throws Exception {
        LimitStore store = gateways(true)[0];
        await(store.spendQuota("quota-k", 1, 60));
        assertFalse(await(store.spendQuota("quota-k", 1, 60)).allowed());

        await(store.resetQuota("quota-k"));

        assertTrue(await(store.spendQuota("quota-k", 1, 60)).allowed());
    }

    @Test
    void scriptsAreSentAgainAfterRedisForgetsThem() throws Exception {
        LimitStore store = gateways(true)[0];
        assertTrue(await(store.spendRate("rate-limit-k", 5, 1)).allowed());

        raw.sync().scriptFlush();

        assertTrue(await(store.spendRate("rate-limit-k", 5, 1)).allowed());
        assertTrue(await(store.spendQuota("quota-k", 5, 60)).allowed());
        assertEquals(List.of(true), raw.sync().scriptExists(RedisLimitStore.slidingLogSha()));
    }

    static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Asks again every 50 ms until {@code done} holds, for at most {@code seconds}. */
    static <T> T poll(Supplier<CompletionStage<T>> ask, Predicate<T> done,
            int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            T value = await(ask.get());
            if (done.test(value)) {
                return value;
            }
            assertTrue(System.nanoTime() < deadline, "not within " + seconds + " s: " + value);
            Thread.sleep(50); // polling Redis's expiry: there is nothing to wait on
        }
    }
}
