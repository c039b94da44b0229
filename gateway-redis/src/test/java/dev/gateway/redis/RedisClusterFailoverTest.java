package dev.gateway.redis;

import static dev.gateway.redis.RedisSentinelTest.await;
import static dev.gateway.redis.RedisSentinelTest.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.LimitStore;
import dev.gateway.core.keys.Session;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.RedisServer;
import io.lettuce.core.cluster.SlotHash;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three masters with a replica each on loopback. One master is killed (SIGKILL) while two threads stream session and
 * limit calls over every slot; its replica is promoted, and the same stores serve every slot again within
 * {@value #FAILOVER_BOUND_MS} ms, without being recreated.
 */
class RedisClusterFailoverTest {

    /** Masters flag a silent node as failed after this; the replica's election follows 0.5 to 1.5 s later. */
    private static final String NODE_TIMEOUT_MS = "1000";

    /**
     * From the kill to every slot served again: failure detection (the node timeout), the replica's election, and the
     * client's next topology refresh (adaptive refreshes are at most {@code RedisConnection.ADAPTIVE_REFRESH_MS}
     * apart), with a wide margin for a loaded machine. docs/redis.md states the measured figure.
     */
    private static final long FAILOVER_BOUND_MS = 15_000;

    /** The store's command timeout, seconds: a call Redis does not answer fails after this. */
    private static final int TIMEOUT_S = 2;

    private static final int KEYS = 48;
    private static final int STREAMS = 2;
    private static final long QUOTA_MAX = 1_000_000;

    @RegisterExtension
    final Closer closer = new Closer();

    @TempDir
    Path dir;

    /** One store call of the stream: which key, whether the killed master served its slot, when, and how it ended. */
    private record Call(String key, boolean victimSlot, long startNanos, long endNanos, Throwable failure) {
        long tookMs() {
            return (endNanos - startNanos) / 1_000_000;
        }
    }

    @Test
    void theSameStoresServeEverySlotAgainSoonAfterAMasterDiesUnderLoad() throws Exception {
        LocalCluster cluster = LocalCluster.start(closer, dir, 3, 1, "--cluster-node-timeout", NODE_TIMEOUT_MS);
        List<String> seeds = cluster.masters().stream().map(m -> "\"127.0.0.1:" + m.port() + "\"").toList();
        RedisStorage redis = closer.later(RedisStorage.connect(StorageConf.read(dir, "{\"type\": \"redis\", "
                + "\"addrs\": " + seeds + ", \"enable_cluster\": true, \"timeout\": " + TIMEOUT_S + "}")));
        KeyStore keys = redis.keyStore();
        LimitStore limits = redis.limitStore(false);

        RedisServer victim = cluster.masters().get(0);
        RedisServer replica = cluster.replicasOf(victim).get(0);
        BitSet victimSlots = LocalCluster.slotsOf(victim);
        List<String> victimKeys = new ArrayList<>();
        for (int id = 0; id < KEYS; id++) {
            await(keys.put(session(id), Session.empty()));
            assertTrue(await(limits.spendQuota(quota(id), QUOTA_MAX, 3_600)).allowed());
            for (String key : List.of(session(id), quota(id))) {
                if (victimSlots.get(SlotHash.getSlot(key))) {
                    victimKeys.add(key);
                }
            }
        }
        assertTrue(victimKeys.size() >= 10, "the killed master serves a share of the keys: " + victimKeys);
        // Only what reached the replica can outlive the master: wait until it holds every key written so far.
        try (RawRedis raw = new RawRedis(replica.port())) {
            raw.sync().readOnly();
            awaitTrue(() -> victimKeys.stream().allMatch(k -> raw.sync().exists(k) == 1), 10,
                    "the replica holds the keys written to its master");
        }

        Queue<Call> calls = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        List<AtomicInteger> rounds = new ArrayList<>();
        List<Thread> streams = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            int stream = s;
            AtomicInteger done = new AtomicInteger();
            rounds.add(done);
            streams.add(new Thread(() -> stream(stream, keys, limits, victimSlots, calls, running, done),
                    "store-stream-" + s));
        }
        long killed;
        long recovered;
        try {
            streams.forEach(Thread::start);
            awaitRounds(rounds, 1, "every stream made a round before the kill");

            killed = System.nanoTime();
            victim.kill();
            recovered = awaitEverySlotServed(keys, limits, killed);
            List<Integer> atRecovery = rounds.stream().map(AtomicInteger::get).toList();
            awaitTrue(() -> {
                for (int s = 0; s < STREAMS; s++) {
                    if (rounds.get(s).get() < atRecovery.get(s) + 2) {
                        return false;
                    }
                }
                return true;
            }, 30, "two more rounds of every stream after the recovery");
        } finally {
            running.set(false);
            for (Thread stream : streams) {
                stream.join(TimeUnit.SECONDS.toMillis(TIMEOUT_S * 4L));
            }
        }

        long recoveryMs = (recovered - killed) / 1_000_000;
        List<Call> failed = calls.stream().filter(c -> c.failure() != null).toList();
        List<Call> failedVictim = failed.stream().filter(Call::victimSlot).toList();
        long lastFailureMs = failed.stream().mapToLong(c -> (c.endNanos() - killed) / 1_000_000).max().orElse(-1);
        System.out.printf("cluster failover: every slot served again %d ms after the master was killed; %d of %d "
                + "calls failed (%d to its slots, %d to others), the last %d ms after the kill%n", recoveryMs,
                failed.size(), calls.size(), failedVictim.size(), failed.size() - failedVictim.size(), lastFailureMs);
        System.out.println("failures to other slots: " + failed.stream().filter(c -> !c.victimSlot())
                .collect(Collectors.groupingBy(RedisClusterFailoverTest::kind, Collectors.counting())));

        assertTrue(!failedVictim.isEmpty(), "the streams noticed the master was gone");
        for (Call call : failed) {
            assertTrue(call.endNanos() >= killed, "a call failed before the kill: " + call);
            assertTrue(call.endNanos() <= recovered, "a call failed after every slot was served again: " + call);
            assertTrue(call.tookMs() <= TIMEOUT_S * 1_000L + 1_000, "a call failed slowly: " + call);
        }
        long afterRecovery = calls.stream().filter(c -> c.startNanos() > recovered && c.victimSlot()).count();
        assertTrue(afterRecovery > 0, "the streams used the promoted replica's slots after the recovery");

        try (RawRedis raw = new RawRedis(replica.port())) {
            assertTrue(raw.sync().info("replication").contains("role:master"), "the replica was promoted");
        }
        Set<String> sessions = new HashSet<>();
        for (int id = 0; id < KEYS; id++) {
            sessions.add(session(id));
            // The counter survived on the replica: the seed counted 1, the streams counted more on top.
            LimitStore.QuotaVerdict verdict = await(limits.spendQuota(quota(id), QUOTA_MAX, 3_600));
            assertTrue(verdict.allowed() && verdict.remaining() < QUOTA_MAX - 2, quota(id) + ": " + verdict);
        }
        assertEquals(sessions, new HashSet<>(await(keys.list())), "SCAN walks the masters after the failover");
    }

    /**
     * Polls every key of every slot until one sweep is served from end to end; returns when. A session written
     * before the kill that reads as absent is data lost, and fails the test at once.
     */
    private static long awaitEverySlotServed(KeyStore keys, LimitStore limits, long killed) throws Exception {
        long deadline = killed + TimeUnit.MILLISECONDS.toNanos(FAILOVER_BOUND_MS);
        while (true) {
            if (sweep(keys, limits)) {
                return System.nanoTime();
            }
            long sinceKill = (System.nanoTime() - killed) / 1_000_000;
            assertTrue(System.nanoTime() < deadline, "slots not served " + sinceKill + " ms after the master died");
            Thread.sleep(50); // between sweeps; each call fails at once while its slot has no master
        }
    }

    private static boolean sweep(KeyStore keys, LimitStore limits) throws Exception {
        try {
            for (int id = 0; id < KEYS; id++) {
                assertNotNull(await(keys.get(session(id))), session(id) + " was written before the kill");
                await(limits.spendRate(rate(id), QUOTA_MAX, 60));
            }
            return true;
        } catch (ExecutionException e) {
            return false;
        }
    }

    /** Sessions put and read, and limits spent, over every key of {@code stream}'s share, round after round. */
    private static void stream(int stream, KeyStore keys, LimitStore limits, BitSet victimSlots, Queue<Call> calls,
            AtomicBoolean running, AtomicInteger rounds) {
        try {
            while (running.get()) {
                for (int id = stream; id < KEYS; id += STREAMS) {
                    int k = id;
                    call(session(k), () -> keys.put(session(k), Session.empty()), victimSlots, calls);
                    call(session(k), () -> keys.get(session(k)), victimSlots, calls);
                    call(rate(k), () -> limits.spendRate(rate(k), QUOTA_MAX, 60), victimSlots, calls);
                    call(quota(k), () -> limits.spendQuota(quota(k), QUOTA_MAX, 3_600), victimSlots, calls);
                    Thread.sleep(2); // a stream, not a busy loop: calls to a slot without a master fail at once
                }
                rounds.incrementAndGet();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void call(String key, Supplier<CompletionStage<?>> call, BitSet victimSlots, Queue<Call> calls)
            throws InterruptedException {
        long start = System.nanoTime();
        Throwable failure = null;
        try {
            call.get().toCompletableFuture().get(TIMEOUT_S * 2L, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            failure = e.getCause();
        } catch (TimeoutException e) {
            failure = e;
        }
        calls.add(new Call(key, victimSlots.get(SlotHash.getSlot(key)), start, System.nanoTime(), failure));
    }

    private static void awaitRounds(List<AtomicInteger> rounds, int atLeast, String what) throws Exception {
        awaitTrue(() -> rounds.stream().allMatch(r -> r.get() >= atLeast), 30, what);
    }

    /** A failure's class and the start of its message, for the report. */
    private static String kind(Call call) {
        String message = String.valueOf(call.failure().getMessage());
        return call.failure().getClass().getSimpleName() + ": " + message.substring(0, Math.min(40, message.length()));
    }

    private static String session(int id) {
        return "apikey-failover-" + id;
    }

    private static String rate(int id) {
        return "rate-limit-failover-" + id;
    }

    private static String quota(int id) {
        return "quota-failover-" + id;
    }
}
