package dev.gateway.server;

import static dev.gateway.server.AuthGatewayTest.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.keys.KeyHashing;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two gateways sharing one real redis-server, as a fleet does: a key made through one works on the other, a rate
 * limit and a quota hold for both together, a key Tyk wrote is honoured, and a Redis that goes away fails requests
 * that need it closed (503) while keyless APIs serve on, then serves again by itself when Redis is back.
 */
class AuthRedisTest extends GatewayFixture {

    private final HttpClient http = HttpClient.newHttpClient();
    private RedisServer redis;
    private Gateway first;
    private Gateway second;

    @BeforeEach
    void start() throws Exception {
        redis = closer.later(RedisServer.start(Files.createDirectories(dir.resolve("redis"))));
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("secret", AuthGatewayTest.SECRET);
        conf.putObject("storage").put("type", "redis").put("host", "127.0.0.1").put("port", redis.port())
                .put("timeout", 1);
        ObjectNode keyed = ConfFolder.api("keyed", "/keyed/", upstream.url("/"));
        keyed.put("use_keyless", false);
        folder.writeConf(conf).writeApi("keyed.json", keyed)
                .writeApi("open.json", ConfFolder.api("open", "/open/", upstream.url("/")));
        first = startGateway(folder.conf);
        second = startGateway(folder.conf);
    }

    private int get(Gateway gateway, String path, String key) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.gatewayPort()
                + path));
        if (key != null) {
            request.header("Authorization", key);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static String session(String extra) {
        return "{\"access_rights\": {\"keyed\": {\"api_id\": \"keyed\", \"versions\": [\"Default\"]}}" + extra + "}";
    }

    @Test
    void aKeyMadeOnOneGatewayOpensTheOtherAndItsLimitsAreShared() throws Exception {
        assertEquals(200, admin(first.gatewayPort(), "POST", "/tyk/keys/shared-key", session("")).statusCode());
        assertEquals(200, get(second, "/keyed/x", "shared-key"));

        admin(first.gatewayPort(), "POST", "/tyk/keys/rated-key", session(", \"rate\": 10, \"per\": 1"));
        int allowed = 0;
        long firstWindow = System.currentTimeMillis() / 1000;
        for (int i = 0; i < 30; i++) {
            allowed += get(i % 2 == 0 ? first : second, "/keyed/x", "rated-key") == 200 ? 1 : 0;
        }
        long windows = System.currentTimeMillis() / 1000 - firstWindow + 1;
        // The fixed window (the default with Redis; a lease of 1 at this rate): 10 in each 1 s window, both gateways
        // together.
        assertTrue(allowed >= 10 && allowed <= 10 * windows, allowed + " in " + windows + " windows");
        if (windows == 1) {
            assertEquals(10, allowed, "within one window, exactly the rate");
        }

        admin(second.gatewayPort(), "POST", "/tyk/keys/quota-key", session(", \"quota_max\": 5,"
                + " \"quota_renewal_rate\": 3600"));
        int served = 0;
        for (int i = 0; i < 8; i++) {
            served += get(i % 2 == 0 ? first : second, "/keyed/x", "quota-key") == 200 ? 1 : 0;
        }
        assertEquals(5, served, "one quota for both gateways");
    }

    @Test
    void aKeyTykWroteIsHonoured() throws Exception {
        // A session as Tyk's documentation shows one, written straight into Redis under Tyk's name for the key
        // (hash_keys off): apikey-<key>.
        String tykSession = """
                {"last_check": 0, "allowance": 1000, "rate": 1000, "per": 1, "throttle_interval": 0,
                 "throttle_retry_limit": 0, "expires": 0, "quota_max": -1, "quota_renews": 1449051461,
                 "quota_remaining": -1, "quota_renewal_rate": 60,
                 "access_rights": {"keyed": {"api_name": "keyed", "api_id": "keyed", "versions": ["Default"],
                   "allowed_urls": [], "limit": null}},
                 "org_id": "", "oauth_client_id": "", "basic_auth_data": {"password": "", "hash_type": ""},
                 "hmac_enabled": false, "hmac_string": "", "is_inactive": false, "apply_policy_id": "",
                 "apply_policies": [], "monitor": {"trigger_limits": null}, "meta_data": {}, "tags": [],
                 "alias": "tyk-user"}""";
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + redis.port());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().set("apikey-written-by-tyk", tykSession);
        } finally {
            client.shutdown();
        }
        assertEquals(200, get(first, "/keyed/x", "written-by-tyk"));
        assertEquals(200, get(second, "/keyed/x", "written-by-tyk"));
    }

    @Test
    void aHashedKeyTykWroteIsHonouredByAGatewayThatHashesKeys() throws Exception {
        // Tyk with hash_keys on writes a custom key's session under the murmur32 of the key (the hash its own
        // algorithm gives a key that is not a base64 token), and a generated key's under the hash its "h" names.
        ObjectNode conf = (ObjectNode) ConfFolder.JSON.readTree(Files.readString(folder.conf));
        conf.put("hash_keys", true);
        folder.writeConf(conf);
        Gateway hashing = startGateway(folder.conf);
        String token = Base64.getEncoder().encodeToString(
                "{\"org\":\"\",\"id\":\"6f1c2d\",\"h\":\"murmur64\"}".getBytes(StandardCharsets.UTF_8));
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + redis.port());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().set("apikey-" + KeyHashing.hash("hashed-by-tyk", KeyHashing.MURMUR32), session(""));
            connection.sync().set("apikey-" + KeyHashing.hash(token, KeyHashing.MURMUR64), session(""));
        } finally {
            client.shutdown();
        }
        assertEquals(200, get(hashing, "/keyed/x", "hashed-by-tyk"));
        assertEquals(200, get(hashing, "/keyed/x", token));
        assertEquals(403, get(first, "/keyed/x", "hashed-by-tyk"), "a gateway that does not hash looks elsewhere");
    }

    @Test
    void aRedisThatGoesAwayFailsClosedThenServesAgain() throws Exception {
        admin(first.gatewayPort(), "POST", "/tyk/keys/steady-key", session(""));
        assertEquals(200, get(first, "/keyed/x", "steady-key"));
        // Load throughout: keyless and keyed requests on both gateways, every status counted.
        Map<String, Integer> statuses = new ConcurrentHashMap<>();
        AtomicBoolean loading = new AtomicBoolean(true);
        Thread load = new Thread(() -> {
            for (int i = 0; loading.get(); i++) {
                Gateway gateway = i % 2 == 0 ? first : second;
                try {
                    statuses.merge("open " + get(gateway, "/open/x", null), 1, Integer::sum);
                    statuses.merge("keyed " + get(gateway, "/keyed/x", "steady-key"), 1, Integer::sum);
                } catch (Exception e) {
                    statuses.merge("failed " + e, 1, Integer::sum);
                }
            }
        }, "load");
        load.start();
        try {
            awaitCount(statuses, "keyed 200", 20);
            redis.kill();
            awaitCount(statuses, "keyed 503", 20);
            // A key the session cache has never seen needs Redis at once.
            assertEquals(503, get(second, "/keyed/x", "unseen-key"));
            assertEquals(503, get(first, "/ready", null), "not ready while Redis does not answer");
            assertEquals(200, get(first, "/hello", null), "yet alive");
            log.awaitLogged(Level.WARN, "api=keyed", "the key store did not answer");

            redis.restart();
            // A Redis killed without persistence comes back empty: the key is unknown now, not unavailable.
            awaitCount(statuses, "keyed 403", 5);
            long readyBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (get(first, "/ready", null) != 200 && System.nanoTime() < readyBy) {
                sleepBriefly(); // this gateway's connection comes back on Lettuce's reconnect, within a second
            }
            assertEquals(200, get(first, "/ready", null));
            assertEquals(200, admin(second.gatewayPort(), "POST", "/tyk/keys/steady-key", session(""))
                    .statusCode());
            int servedBefore = statuses.getOrDefault("keyed 200", 0);
            awaitCount(statuses, "keyed 200", servedBefore + 20);
        } finally {
            loading.set(false);
            load.join(10_000);
        }
        assertEquals(Set.of("open 200", "keyed 200", "keyed 503", "keyed 403"), statuses.keySet(),
                "keyless served throughout; keyed: served, failed closed, or unknown after Redis came back empty: "
                        + statuses);
    }

    /** Waits until {@code statuses} has counted {@code count} of {@code status}, for at most 15 s. */
    private static void awaitCount(Map<String, Integer> statuses, String status, int count)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (statuses.getOrDefault(status, 0) < count && System.nanoTime() < deadline) {
            sleepBriefly();
        }
        assertTrue(statuses.getOrDefault(status, 0) >= count, "waited for " + count + " x " + status + ": "
                + statuses);
    }

    private static boolean sleepBriefly() throws InterruptedException {
        Thread.sleep(100); // polling for a reconnect that has no event to wait on
        return true;
    }
}
