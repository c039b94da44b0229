package dev.gateway.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.LimitStore;
import dev.gateway.core.keys.Session;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.testing.RedisServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Redis going away and coming back: the stores fail fast meanwhile (the gateway fails closed) and then recover. */
class RedisOutageTest {

    @RegisterExtension
    final Closer closer = new Closer();

    @TempDir
    Path dir;

    @Test
    void callsFailWithinASecondWhileRedisIsDownAndServeAgainAfterItRestarts() throws Exception {
        RedisServer server = closer.later(RedisServer.start(dir));
        // A timeout far above the bound: failing fast must come from rejecting, not from timing out.
        RedisStorage redis = closer.later(RedisStorage.connect(StorageConf.standalone(dir, server.port(), 10)));
        KeyStore keys = redis.keyStore();
        LimitStore limits = redis.limitStore(false);
        await(keys.put("apikey-a", Session.empty()));

        server.kill();

        for (int i = 0; i < 5; i++) {
            assertFailsWithin(keys.get("apikey-a"), 1_000);
            assertFailsWithin(limits.spendRate("rate-limit-a", 10, 1), 1_000);
            assertFailsWithin(limits.spendQuota("quota-a", 10, 60), 1_000);
            assertFailsWithin(redis.ping(), 1_000);
        }

        server.restart();
        long restarted = System.nanoTime();
        awaitServing(keys, 5);
        long recoveredMillis = (System.nanoTime() - restarted) / 1_000_000;
        assertTrue(recoveredMillis < 3_000, "recovered " + recoveredMillis + " ms after the restart");
        assertTrue(await(limits.spendRate("rate-limit-a", 10, 1)).allowed());
        await(redis.ping());
    }

    @Test
    void aCommandRedisDoesNotAnswerFailsAfterTheTimeout() throws Exception {
        RedisServer server = closer.later(RedisServer.start(dir));
        RedisStorage redis = closer.later(RedisStorage.connect(StorageConf.standalone(dir, server.port(), 1)));
        RawRedis raw = closer.later(new RawRedis(server.port()));

        raw.sync().clientPause(4_000);
        long started = System.nanoTime();
        ExecutionException failure = assertThrows(ExecutionException.class,
                () -> redis.keyStore().get("apikey-a").toCompletableFuture().get(10, TimeUnit.SECONDS));
        long tookMillis = (System.nanoTime() - started) / 1_000_000;

        assertTrue(tookMillis >= 900 && tookMillis < 2_500, "failed after " + tookMillis + " ms: " + failure);
    }

    @Test
    void connectingToNothingFailsWithTheAddress() throws Exception {
        int port = Ports.freePort();

        IOException failure = assertThrows(IOException.class,
                () -> RedisStorage.connect(StorageConf.standalone(dir, port, 1)));

        assertTrue(failure.getMessage().contains("127.0.0.1:" + port), failure.getMessage());
    }

    /** Polls with the store itself until a write and a read succeed, for at most {@code seconds}. */
    static void awaitServing(KeyStore keys, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            try {
                await(keys.put("apikey-back", Session.empty()));
                assertEquals("{}", new String(await(keys.get("apikey-back")).toJson()));
                return;
            } catch (ExecutionException e) {
                assertTrue(System.nanoTime() < deadline, "the store did not serve again within " + seconds + " s: "
                        + e.getCause());
                Thread.sleep(20); // polling a reconnect: Lettuce offers no event for "commands work again"
            }
        }
    }

    private static void assertFailsWithin(CompletionStage<?> stage, long millis) throws InterruptedException {
        long started = System.nanoTime();
        try {
            stage.toCompletableFuture().get(millis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException expected) {
            return;
        } catch (TimeoutException e) {
            throw new AssertionError("still pending after " + millis + " ms: Lettuce queued the command");
        }
        throw new AssertionError("succeeded with Redis down, after " + (System.nanoTime() - started) + " ns");
    }

    static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
