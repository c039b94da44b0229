package dev.gateway.server;

import static dev.gateway.server.AuthGatewayTest.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.testing.RedisServer;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.TestUpstream;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar gateway.jar}, the shaded jar that {@code package} makes, with keys in a real redis-server: every
 * library that the wiring reaches must be inside it. Unit and end-to-end tests run on Maven's class path, where a
 * library missing from the jar still resolves; the jar once lacked Lettuce, and only a user starting it with
 * {@code storage} redis found out. Failsafe runs this after {@code package}.
 */
class PackagedJarIT {

    /** How long the gateway may take to answer {@code /ready}: a JVM start plus the first Redis round trip. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();

    private final HttpClient client = Clients.newClient();

    @Test
    void theJarServesKeysKeptInRedisAndStopsWithExitZero() throws Exception {
        Path jar = Path.of(System.getProperty("gateway.jar", "target/gateway.jar"));
        assertTrue(Files.isRegularFile(jar), "no packaged jar at " + jar.toAbsolutePath() + " (mvn package makes it)");
        RedisServer redis = closer.later(RedisServer.start(Files.createDirectories(dir.resolve("redis"))));
        TestUpstream upstream = closer.later(TestUpstream.namingPaths("up"));
        ConfFolder folder = new ConfFolder(Files.createDirectories(dir.resolve("conf")));
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("secret", AuthGatewayTest.SECRET);
        conf.putObject("storage").put("type", "redis").put("host", "127.0.0.1").put("port", redis.port());
        ObjectNode keyed = ConfFolder.api("keyed", "/keyed/", upstream.url("/"));
        keyed.put("use_keyless", false);
        folder.writeConf(conf).writeApi("keyed.json", keyed);

        int port = Ports.freePort();
        GatewayProcess gateway = closer.later(GatewayProcess.launchJar(jar, dir, "jar", "--conf",
                folder.conf.toString(), "--port", String.valueOf(port)));
        gateway.awaitReady();
        awaitReadyProbe(gateway);

        String session = "{\"access_rights\": {\"keyed\": {\"api_id\": \"keyed\", \"versions\": [\"Default\"]}}}";
        assertEquals(200, admin(port, "POST", "/tyk/keys/jar-key", session).statusCode(), gateway.describeOutput());
        HttpResponse<String> served = client.send(Clients.request(URI.create(gateway.url("/keyed/x")))
                .header("Authorization", "jar-key").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(upstream.bodyFor("/x"), served.body(), gateway.describeOutput());
        assertTrue(keysInRedis(redis) > 0, "the key went to Redis");

        gateway.terminate();
        assertEquals(0, gateway.awaitExit(GatewayProcess.EXIT_TIMEOUT), gateway.describeOutput());
        List<String> errors = gateway.lines("ERROR");
        assertEquals(List.of(), errors, gateway.describeOutput());
        assertFalse(gateway.stderr().contains("NoClassDefFoundError"), gateway.describeOutput());
    }

    /** {@code /ready} answers 200 only once Redis does: the jar's Lettuce has connected. */
    private void awaitReadyProbe(GatewayProcess gateway) throws InterruptedException {
        Net.Deadline deadline = new Net.Deadline(READY_TIMEOUT);
        while (true) {
            int status;
            try {
                status = Clients.get(client, gateway.url("/ready")).statusCode();
            } catch (IOException e) {
                status = -1;
            }
            if (status == 200) {
                return;
            }
            deadline.check("/ready answered " + status + gateway.describeOutput());
            Thread.sleep(Net.Deadline.POLL_MILLIS);
        }
    }

    private static long keysInRedis(RedisServer redis) {
        RedisClient redisClient = RedisClient.create("redis://127.0.0.1:" + redis.port());
        try (StatefulRedisConnection<String, String> connection = redisClient.connect()) {
            return connection.sync().dbsize();
        } finally {
            redisClient.shutdown();
        }
    }
}
