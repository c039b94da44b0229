package dev.gateway.server;

import static dev.gateway.server.AuthGatewayTest.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.RedisServer;
import dev.gateway.http.support.Clients;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two gateways on one redis-server hear each other as Tyk's gateways do, on {@code tyk.cluster.notifications}: a
 * group reload through one makes both serve an API added through it within 2 s; a key deleted through one is
 * forgotten by the other's session cache at once; a message signed with another node secret is ignored.
 */
class ClusterNotificationsTest extends GatewayFixture {

    private RedisServer redis;
    private Gateway first;
    private Gateway second;

    @BeforeEach
    void start() throws Exception {
        redis = closer.later(RedisServer.start(Files.createDirectories(dir.resolve("redis"))));
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("secret", AuthGatewayTest.SECRET).put("node_secret", "shared-node-secret");
        conf.putObject("storage").put("type", "redis").put("host", "127.0.0.1").put("port", redis.port());
        ObjectNode keyed = ConfFolder.api("keyed", "/keyed/", upstream.url("/"));
        keyed.put("use_keyless", false);
        folder.writeConf(conf).writeApi("keyed.json", keyed);
        first = startGateway(folder.conf);
        second = startGateway(folder.conf);
    }

    private int status(Gateway gateway, String path, String key) throws Exception {
        HttpRequest.Builder request = Clients.request(URI.create(url(gateway.gatewayPort(), path)));
        if (key != null) {
            request.header("Authorization", key);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** Polls {@code status} for at most {@code millis} until it is {@code expected}; how long it took. */
    private static long await(int expected, IntSupplier status, long millis) throws InterruptedException {
        long start = System.nanoTime();
        while (status.getAsInt() != expected) {
            if (System.nanoTime() - start > TimeUnit.MILLISECONDS.toNanos(millis)) {
                throw new AssertionError("still " + status.getAsInt() + " after " + millis + " ms");
            }
            Thread.sleep(20); // polling for a state no event announces to the test
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private IntSupplier statusOf(Gateway gateway, String path, String key) {
        return () -> {
            try {
                return status(gateway, path, key);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    @Test
    void aGroupReloadThroughOneGatewayReloadsBoth() throws Exception {
        String api = ConfFolder.api("added", "/added/", upstream.url("/")).toString();
        assertEquals(200, admin(first.gatewayPort(), "POST", "/tyk/apis", api).statusCode());
        assertEquals(404, status(second, "/added/x", null));

        assertEquals("{\"status\":\"ok\",\"message\":\"\"}",
                admin(first.gatewayPort(), "GET", "/tyk/reload/group", null).body());

        long firstMillis = await(200, statusOf(first, "/added/x", null), 2000);
        long secondMillis = await(200, statusOf(second, "/added/x", null), 2000);
        assertTrue(firstMillis < 2000 && secondMillis < 2000, firstMillis + " / " + secondMillis + " ms");
    }

    @Test
    void aKeyDeletedThroughOneGatewayIsForgottenByTheOtherAtOnce() throws Exception {
        String session = "{\"access_rights\": {\"keyed\": {\"api_id\": \"keyed\", \"versions\": [\"Default\"]}}}";
        admin(first.gatewayPort(), "POST", "/tyk/keys/cached-key", session);
        assertEquals(200, status(second, "/keyed/x", "cached-key"), "now in the second gateway's session cache");
        admin(first.gatewayPort(), "DELETE", "/tyk/keys/cached-key", null);
        long millis = await(403, statusOf(second, "/keyed/x", "cached-key"), 1000);
        assertTrue(millis < 1000, "well within the 5 s the cache would keep it: " + millis + " ms");
    }

    @Test
    void aMessageSignedWithAnotherSecretIsIgnored() throws Exception {
        String api = ConfFolder.api("sneaky", "/sneaky/", upstream.url("/")).toString();
        Files.writeString(dir.resolve("apps/sneaky.json"), api);
        RedisClient redisClient = RedisClient.create("redis://127.0.0.1:" + redis.port());
        try (StatefulRedisConnection<String, String> connection = redisClient.connect()) {
            connection.sync().publish("tyk.cluster.notifications",
                    "{\"command\":\"GroupReload\",\"payload\":\"\",\"signature\":\"00ff\",\"algorithm\":5}");
        } finally {
            redisClient.shutdown();
        }
        log.awaitLogged(Level.WARN, "cluster notification GroupReload ignored", "signature");
        assertEquals(404, status(first, "/sneaky/x", null));
    }
}
