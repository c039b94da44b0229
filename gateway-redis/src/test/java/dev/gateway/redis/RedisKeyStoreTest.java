package dev.gateway.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.keys.KeyHashing;
import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.Session;
import dev.gateway.core.testing.CapturedLog;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class RedisKeyStoreTest {

    /**
     * A session as Tyk's documentation shows a key (its "create a key" example), with fields this gateway does not
     * read ({@code hmac_enabled}, {@code monitor}, {@code jwt_data}, a nested {@code meta_data} value).
     */
    static final String TYK_SESSION = """
            {
              "allowance": 1000, "rate": 1000, "per": 1, "expires": -1,
              "quota_max": -1, "quota_renews": 1406121006, "quota_remaining": 0, "quota_renewal_rate": 60,
              "access_rights": {
                "3": {"api_name": "Tyk Test API", "api_id": "3", "versions": ["Default"], "allowed_urls": []}
              },
              "org_id": "53ac07777cbb8c2d53000002",
              "basic_auth_data": {"password": "", "hash_type": ""},
              "jwt_data": {"secret": ""},
              "hmac_enabled": false, "hmac_string": "", "is_inactive": false, "apply_policy_id": "",
              "apply_policies": ["59672779fa4387000129507d", "53222349fa4387004324324e"],
              "data_expires": 0,
              "monitor": {"trigger_limits": [80, 60, 50]},
              "enable_detail_recording": false,
              "meta_data": {"tier": "gold", "limits": {"burst": 5}},
              "tags": ["edge", "eu"], "alias": "portal-developer@example.org", "last_updated": "1499261220"
            }""";

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Closer closer = new Closer();

    @TempDir
    Path dir;

    private RedisServer server;
    private RawRedis raw;
    private KeyStore store;

    @BeforeEach
    void start() throws Exception {
        server = closer.later(RedisServer.start(dir));
        raw = closer.later(new RawRedis(server.port()));
        store = closer.later(RedisStorage.connect(StorageConf.standalone(dir, server.port(), 2))).keyStore();
    }

    @Test
    void readsASessionTykWroteUnderTheHashOfItsKey() throws Exception {
        String token = KeyHashing.generate("53ac07777cbb8c2d53000002", "", KeyHashing.MURMUR64);
        String storageKey = KeyHashing.redisKey(token, true);
        raw.sync().set(storageKey, TYK_SESSION);

        Session session = await(store.get(storageKey).toCompletableFuture());

        assertEquals(1000, session.rate());
        assertEquals("53ac07777cbb8c2d53000002", session.orgId());
        assertEquals(List.of("59672779fa4387000129507d", "53222349fa4387004324324e"), session.applyPolicies());
        assertEquals("Tyk Test API", session.accessRight("3").apiName());
        assertEquals("gold", session.metaData().get("tier"));
    }

    @Test
    void sessionsRoundTripWithFieldsThisGatewayDoesNotKnow() throws Exception {
        Session session = Session.parse(TYK_SESSION.getBytes(StandardCharsets.UTF_8));
        session.quotaRemaining(41);

        await(store.put("apikey-abc", session).toCompletableFuture());
        Session back = await(store.get("apikey-abc").toCompletableFuture());

        assertEquals(41, back.quotaRemaining());
        JsonNode expected = JSON.readTree(TYK_SESSION);
        ((ObjectNode) expected).put("quota_remaining", 41);
        assertEquals(expected, JSON.readTree(raw.sync().get("apikey-abc")), "what Tyk would read back");
        assertEquals(expected, JSON.readTree(back.toJson()));
    }

    @Test
    void anUnknownKeyIsNullAndDeleteSaysWhetherThereWasOne() throws Exception {
        assertNull(await(store.get("apikey-nobody").toCompletableFuture()));

        await(store.put("apikey-k", Session.empty()).toCompletableFuture());
        assertTrue(await(store.delete("apikey-k").toCompletableFuture()));
        assertFalse(await(store.delete("apikey-k").toCompletableFuture()));
        assertNull(await(store.get("apikey-k").toCompletableFuture()));
    }

    @Test
    void aWriteKeepsTheLifetimeTykGaveTheKey() throws Exception {
        raw.sync().setex("apikey-short", 300, TYK_SESSION);

        await(store.put("apikey-short", Session.parse(TYK_SESSION.getBytes(StandardCharsets.UTF_8)))
                .toCompletableFuture());

        long ttl = raw.sync().ttl("apikey-short");
        assertTrue(ttl > 0 && ttl <= 300, "the TTL Tyk set is kept: " + ttl);
        await(store.put("apikey-new", Session.empty()).toCompletableFuture());
        assertEquals(-1, raw.sync().ttl("apikey-new"), "this gateway sets none of its own");
    }

    @Test
    void anOversizedOrBrokenValueIsAnUnknownKeyLoggedOnce() throws Exception {
        CapturedLog log = closer.later(CapturedLog.attach());
        raw.sync().set("apikey-huge", "{\"pad\": \"" + "x".repeat(Session.MAX_JSON_BYTES) + "\"}");
        raw.sync().set("apikey-broken", "not json");

        assertNull(await(store.get("apikey-huge").toCompletableFuture()));
        assertNull(await(store.get("apikey-broken").toCompletableFuture()));
        assertNull(await(store.get("apikey-huge").toCompletableFuture()));

        List<String> warnings = log.lines().stream().filter(l -> l.startsWith("WARN")).toList();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("****huge"), warnings.get(0));
        assertFalse(warnings.get(0).contains("apikey-huge"), "a key name may be the key itself");
    }

    @Test
    void listScansEverySessionAndNothingElse() throws Exception {
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 2_500; i++) {
            expected.add("apikey-" + i);
            raw.sync().set("apikey-" + i, "{}");
        }
        raw.sync().set("quota-1", "3");
        raw.sync().set("rate-limit-1", "3");

        List<String> listed = await(store.list().toCompletableFuture());

        assertEquals(expected.size(), listed.size(), "each once");
        assertEquals(expected, new HashSet<>(listed));
    }

    static <T> T await(CompletableFuture<T> stage) throws Exception {
        return stage.get(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
    }
}
