package dev.gateway.redis;

import static dev.gateway.redis.RedisSentinelTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.LimitStore;
import dev.gateway.core.keys.Session;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.RedisServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three masters on loopback made into a cluster by {@code redis-cli --cluster create}; {@link RedisClusterFailoverTest}
 * kills one of a cluster with replicas.
 */
class RedisClusterTest {

    @RegisterExtension
    final Closer closer = new Closer();

    @TempDir
    Path dir;

    @Test
    void sessionsSpreadOverEveryMasterAndListSeesThemAll() throws Exception {
        List<RedisServer> masters = cluster();
        RedisStorage redis = closer.later(RedisStorage.connect(StorageConf.read(dir, "{\"type\": \"redis\", "
                + "\"addrs\": [\"127.0.0.1:" + masters.get(0).port() + "\"], \"enable_cluster\": true, "
                + "\"timeout\": 2}")));
        KeyStore keys = redis.keyStore();

        Set<String> written = new HashSet<>();
        List<CompletableFuture<Void>> puts = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            written.add("apikey-" + i);
            puts.add(keys.put("apikey-" + i, Session.empty()).toCompletableFuture());
        }
        CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);

        for (RedisServer master : masters) {
            try (RawRedis raw = new RawRedis(master.port())) {
                assertTrue(raw.sync().dbsize() > 50, "each master holds its share of the slots' keys");
            }
        }
        List<String> listed = await(keys.list());
        assertEquals(written.size(), listed.size());
        assertEquals(written, new HashSet<>(listed));
        assertTrue(await(keys.get("apikey-299")) != null);
    }

    @Test
    void limitsCountOnTheMasterOfTheirKey() throws Exception {
        List<RedisServer> masters = cluster();
        RedisStorage redis = closer.later(RedisStorage.connect(StorageConf.read(dir, "{\"type\": \"redis\", "
                + "\"addrs\": [\"127.0.0.1:" + masters.get(1).port() + "\", \"127.0.0.1:" + masters.get(2).port()
                + "\"], \"enable_cluster\": true}")));

        for (boolean slidingLog : new boolean[] {true, false}) {
            LimitStore limits = redis.limitStore(slidingLog);
            for (int key = 0; key < 20; key++) {
                for (int i = 0; i < 3; i++) {
                    assertTrue(await(limits.spendRate("rate-limit-" + slidingLog + key, 3, 60)).allowed());
                }
                assertFalse(await(limits.spendRate("rate-limit-" + slidingLog + key, 3, 60)).allowed());
            }
        }
        for (int key = 0; key < 20; key++) {
            assertTrue(await(redis.limitStore(false).spendQuota("quota-" + key, 1, 60)).allowed());
            assertFalse(await(redis.limitStore(false).spendQuota("quota-" + key, 1, 60)).allowed());
        }
    }

    private List<RedisServer> cluster() throws Exception {
        return LocalCluster.start(closer, dir, 3, 0).masters();
    }
}
