package dev.gateway.redis.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.keys.LimitStore.RateVerdict;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The lease bookkeeping on its own, with the counter's answers in the test's hands: the cases Redis cannot be made
 * to produce on cue (an answer that lands after its window ended, a call that fails at once). The rest is tested
 * against a real redis-server in {@link RedisLimitStoreTest}.
 */
class WindowLeasesTest {

    private static final long SECOND = 1_000_000_000L;
    /** A whole minute in Unix ns, so 1 s windows start on it. */
    private static final long T0 = 1_796_472_000L * SECOND;

    private final AtomicLong clock = new AtomicLong(T0);
    private final List<CompletableFuture<Long>> calls = new ArrayList<>();
    private final List<String> windows = new ArrayList<>();
    private long count;

    private final WindowLeases leases = new WindowLeases((key, lease, left) -> {
        windows.add(key);
        CompletableFuture<Long> answer = new CompletableFuture<>();
        calls.add(answer);
        return answer.thenApply(ignored -> count += lease);
    }, clock::get);

    @Test
    void aFailedLeaseFailsItsWaitersAndTheNextRequestAsksAgain() {
        CompletableFuture<RateVerdict> a = leases.spend("k", 1000, SECOND).toCompletableFuture();
        CompletableFuture<RateVerdict> b = leases.spend("k", 1000, SECOND).toCompletableFuture();
        assertEquals(1, calls.size(), "the second request waits for the first one's lease");

        calls.get(0).completeExceptionally(new IOException("redis went away"));
        assertTrue(a.isCompletedExceptionally() && b.isCompletedExceptionally(), "both fail closed");

        CompletableFuture<RateVerdict> c = leases.spend("k", 1000, SECOND).toCompletableFuture();
        assertEquals(2, calls.size());
        calls.get(1).complete(0L);
        assertTrue(c.join().allowed());
    }

    @Test
    void aCallThatFailsAtOnceLeavesNothingForLaterRequestsToWaitOn() {
        WindowLeases failing = new WindowLeases(
                (key, lease, left) -> CompletableFuture.failedFuture(new IOException("not connected")), clock::get);
        assertTrue(failing.spend("k", 10, SECOND).toCompletableFuture().isCompletedExceptionally());
        assertTrue(failing.spend("k", 10, SECOND).toCompletableFuture().isCompletedExceptionally());

        WindowLeases later = new WindowLeases((key, lease, left) -> CompletableFuture.completedFuture(lease),
                clock::get);
        assertTrue(later.spend("k", 10, SECOND).toCompletableFuture().join().allowed());
    }

    @Test
    void aLeaseThatLandsAfterItsWindowEndedIsNotSpentInTheNext() {
        clock.set(T0 + SECOND - 1);
        CompletableFuture<RateVerdict> late = leases.spend("k", 1000, SECOND).toCompletableFuture();
        clock.set(T0 + SECOND);
        calls.get(0).complete(0L);

        assertEquals(2, calls.size(), "the waiter asked again, in its new window");
        assertEquals(List.of("k/" + T0, "k/" + (T0 + SECOND)), windows);
        calls.get(1).complete(0L);
        assertTrue(late.join().allowed());
    }

    @Test
    void aFullWindowRefusesWithoutAskingAgainUntilItEnds() {
        count = 995;
        CompletableFuture<RateVerdict> first = leases.spend("k", 1000, SECOND).toCompletableFuture();
        calls.get(0).complete(0L);
        assertTrue(first.join().allowed(), "5 of the lease of 10 fit within the rate");
        for (int i = 0; i < 4; i++) {
            assertTrue(leases.spend("k", 1000, SECOND).toCompletableFuture().join().allowed());
        }
        RateVerdict refused = leases.spend("k", 1000, SECOND).toCompletableFuture().join();

        assertFalse(refused.allowed());
        assertEquals(0, refused.remaining());
        assertEquals(1, refused.resetSeconds());
        assertEquals(1, calls.size(), "refused without a call");
    }

    @Test
    void endedWindowsAreSweptOnceThereAreManyKeys() {
        WindowLeases instant = new WindowLeases((key, lease, left) -> CompletableFuture.completedFuture(lease),
                clock::get);
        for (int i = 0; i < WindowLeases.MAX_ENTRIES; i++) {
            instant.spend("k" + i, 10, SECOND);
        }
        clock.addAndGet(SECOND);
        instant.spend("another", 10, SECOND);
        assertEquals(1, instant.size());
    }

    @Test
    void theLeaseIsOnePercentOfTheRateAndNeverLessThanOne() {
        assertEquals(1, WindowLeases.leaseSize(1));
        assertEquals(1, WindowLeases.leaseSize(199));
        assertEquals(2, WindowLeases.leaseSize(200));
        assertEquals(100_000, WindowLeases.leaseSize(10_000_000));
    }
}
