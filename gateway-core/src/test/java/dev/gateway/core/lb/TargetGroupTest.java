package dev.gateway.core.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TargetGroupTest {

    private static final Target A = Target.parse("http://a.test");
    private static final Target B = Target.parse("http://b.test");
    private static final Target C = Target.parse("http://c.test");
    private static final Target D = Target.parse("http://d.test");

    /** Hosts named here are down; health checks would write this, the group only reads it. */
    private final Set<String> down = ConcurrentHashMap.newKeySet();
    private final HostHealth health = target -> !down.contains(target.host());

    @Test
    void roundRobinVisitsTargetsInListOrder() {
        TargetGroup group = new TargetGroup(List.of(A, B, C), HostHealth.ALWAYS_UP);

        assertEquals(List.of(A, B, C, A, B, C, A), picks(group, 7));
    }

    @Test
    void roundRobinSkipsHostMarkedDown() {
        down.add("b.test");
        TargetGroup group = new TargetGroup(List.of(A, B, C), health);

        List<Target> picked = picks(group, 30);

        assertEquals(Set.of(A, C), Set.copyOf(picked));
    }

    /**
     * "Round robin over the healthy ones" (DESIGN.md): with b down, a and c alternate. A group that hands the
     * down host's turn to its successor gives c twice a's load for as long as b stays down.
     */
    @Test
    void roundRobinSharesEvenlyAmongHealthyHosts() {
        down.add("b.test");
        TargetGroup group = new TargetGroup(List.of(A, B, C, D), health);

        Map<Target, Long> counts = picks(group, 300).stream()
                .collect(Collectors.groupingBy(t -> t, Collectors.counting()));

        assertEquals(Map.of(A, 100L, C, 100L, D, 100L), counts);
    }

    @Test
    void hostThatComesBackRejoinsTheRotation() {
        down.add("b.test");
        TargetGroup group = new TargetGroup(List.of(A, B, C), health);
        picks(group, 5);

        down.clear();

        assertEquals(Set.of(A, B, C), Set.copyOf(picks(group, 3)));
    }

    @Test
    void nextIsNullWhenEveryHostIsDown() {
        down.addAll(List.of("a.test", "b.test", "c.test"));
        TargetGroup group = new TargetGroup(List.of(A, B, C), health);

        for (int i = 0; i < 4; i++) {
            assertNull(group.next());
        }
    }

    @Test
    void singleTargetIsReturnedWhileUpAndNullWhileDown() {
        TargetGroup group = new TargetGroup(List.of(A), health);

        assertSame(A, group.next());
        down.add("a.test");
        assertNull(group.next());
        down.clear();
        assertSame(A, group.next());
    }

    @Test
    void emptyTargetListIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TargetGroup(List.of(), HostHealth.ALWAYS_UP));
    }

    @Test
    void targetsAreACopyInListOrder() {
        List<Target> source = new ArrayList<>(List.of(A, B));
        TargetGroup group = new TargetGroup(source, HostHealth.ALWAYS_UP);
        source.add(C);

        assertEquals(List.of(A, B), group.targets());
        assertThrows(UnsupportedOperationException.class, () -> group.targets().add(C));
    }

    /** Event loops share one counter, so across threads every target still gets exactly its share. */
    @Test
    void sharedCounterKeepsTheShareExactAcrossThreads() throws Exception {
        TargetGroup group = new TargetGroup(List.of(A, B, C), HostHealth.ALWAYS_UP);
        int threads = 4;
        int perThread = 3_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<Target>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return picks(group, perThread);
                }));
            }
            start.countDown();
            Map<Target, Long> counts = new ConcurrentHashMap<>();
            for (Future<List<Target>> result : results) {
                for (Target target : result.get(30, TimeUnit.SECONDS)) {
                    counts.merge(target, 1L, Long::sum);
                }
            }

            long each = (long) threads * perThread / 3;
            assertEquals(Map.of(A, each, B, each, C, each), counts);
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static List<Target> picks(TargetGroup group, int count) {
        List<Target> picked = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            picked.add(group.next());
        }
        return picked;
    }
}
