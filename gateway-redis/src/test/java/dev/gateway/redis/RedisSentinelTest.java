package dev.gateway.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.LimitStore;
import dev.gateway.core.keys.Session;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.RedisServer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A master, a replica and a sentinel on loopback; the master dies under a stream of commands. */
class RedisSentinelTest {

    private static final String MASTER = "gwmaster";
    /** Sentinel sees the master down after 1 s; promotion follows within a few more. */
    private static final int DOWN_AFTER_MS = 1_000;
    /** From the kill to the store serving again: detection, promotion, reconnect (at most 1 s apart), margin. */
    private static final long FAILOVER_BOUND_MS = 15_000;

    @RegisterExtension
    final Closer closer = new Closer();

    @TempDir
    Path dir;

    @Test
    void theStoreFollowsAFailoverAndServesAgainWithinTheBound() throws Exception {
        RedisServer master = closer.later(RedisServer.start(dir));
        RedisServer replica = closer.later(RedisServer.start(dir, "--replicaof", "127.0.0.1",
                String.valueOf(master.port())));
        RawRedis rawMaster = closer.later(new RawRedis(master.port()));
        awaitTrue(() -> rawMaster.sync().info("replication").contains("connected_slaves:1"), 10, "replica linked");
        RedisServer sentinel = closer.later(RedisServer.sentinel(dir,
                "sentinel monitor " + MASTER + " 127.0.0.1 " + master.port() + " 1",
                "sentinel down-after-milliseconds " + MASTER + " " + DOWN_AFTER_MS,
                "sentinel failover-timeout " + MASTER + " 10000"));
        RawRedis rawSentinel = closer.later(new RawRedis(sentinel.port()));
        awaitTrue(() -> rawSentinel.sync().info("sentinel").contains("status=ok,address=127.0.0.1:" + master.port()
                + ",slaves=1"), 15, "the sentinel knows the replica, so it has one to promote");

        RedisStorage redis = closer.later(RedisStorage.connect(StorageConf.read(dir, "{\"type\": \"redis\", "
                + "\"addrs\": [\"127.0.0.1:" + sentinel.port() + "\"], \"master_name\": \"" + MASTER + "\", "
                + "\"timeout\": 1}")));
        assertTrue(redis.description().contains("Sentinel master " + MASTER), redis.description());
        KeyStore keys = redis.keyStore();
        LimitStore limits = redis.limitStore(false);
        await(keys.put("apikey-before", Session.empty()));
        assertTrue(await(limits.spendQuota("quota-k", 100, 60)).allowed());
        awaitTrue(() -> replicaHas(replica, "apikey-before"), 10, "the write reached the replica");

        master.kill();
        long killed = System.nanoTime();
        int failures = 0;
        while (true) {
            long started = System.nanoTime();
            try {
                await(keys.put("apikey-after", Session.empty()));
                break;
            } catch (ExecutionException e) {
                failures++;
                long took = (System.nanoTime() - started) / 1_000_000;
                assertTrue(took < 1_500, "a call during the failover took " + took + " ms");
            }
            long sinceKill = (System.nanoTime() - killed) / 1_000_000;
            assertTrue(sinceKill < FAILOVER_BOUND_MS, "not serving " + sinceKill + " ms after the master died");
            Thread.sleep(20); // a stream of commands, not a busy loop
        }
        long servedAfter = (System.nanoTime() - killed) / 1_000_000;

        assertTrue(failures > 0, "the store noticed the master was gone");
        assertTrue(await(keys.get("apikey-before")) != null, "replicated before the kill");
        assertTrue(await(limits.spendQuota("quota-k", 100, 60)).allowed());
        assertEquals(List.of("apikey-after", "apikey-before"),
                await(keys.list()).stream().sorted().toList(), "the new master: " + servedAfter + " ms");
    }

    private static boolean replicaHas(RedisServer replica, String key) {
        try (RawRedis raw = new RawRedis(replica.port())) {
            return raw.sync().exists(key) == 1;
        }
    }

    static void awaitTrue(BooleanSupplier condition, int seconds, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what + ": not within " + seconds + " s");
            Thread.sleep(50); // polling another process's state: there is nothing to wait on
        }
    }

    static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
