package dev.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gateway.core.config.AuthSettings;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.Policy;
import dev.gateway.core.config.PolicyLoader;
import dev.gateway.core.keys.KeyHashing;
import dev.gateway.core.keys.MemoryKeyStore;
import dev.gateway.core.keys.Session;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Keys that take their rights from policies, over HTTP/1.1 and HTTP/2 through real sockets: policies read from a
 * {@code policy_path} folder as Tyk writes them, applied on every request, swapped by a reload.
 */
class PolicyAuthTest {

    @TempDir
    Path dir;

    private final MemoryKeyStore store = new MemoryKeyStore();
    private final AtomicReference<Map<String, Policy>> policies = new AtomicReference<>(Map.of());
    private TestUpstream upstream;
    private ProxyUnderTest gateway;

    @BeforeEach
    void start() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("policies"));
        // The API's organisation: a policy is found only there (TykApi writes org_id test-org).
        Files.writeString(folder.resolve("gold.json"), "{\"id\": \"gold\", \"org_id\": \"test-org\","
                + " \"rate\": 100, \"per\": 1, \"access_rights\": {\"api\": {\"api_id\": \"api\","
                + " \"allowed_urls\": [{\"url\": \"/open\", \"methods\": [\"GET\"]}]}}}");
        Files.writeString(folder.resolve("idle.json"), "{\"id\": \"idle\", \"org_id\": \"test-org\","
                + " \"is_inactive\": true, \"access_rights\": {\"api\": {}}}");
        Files.writeString(folder.resolve("other.json"), "{\"id\": \"other\", \"org_id\": \"test-org\","
                + " \"access_rights\": {\"other\": {}}}");
        List<LoadProblem> problems = new ArrayList<>();
        policies.set(PolicyLoader.load(new AuthSettings.Policies("file", "policies", ""), dir.resolve("tyk.conf"),
                problems));
        assertEquals(List.of(), problems);

        upstream = TestUpstream.start("up");
        AuthFilters auth = new AuthFilters(store, AuthSettings.defaults(), false, policies::get);
        gateway = ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .api(TykApi.keyless("api", "/api", upstream.url()))
                .filters(api -> auth.tokenAuth(api))
                .start();
        put("gold-key", "{\"apply_policies\": [\"gold\"]}");
        put("lost-key", "{\"apply_policies\": [\"missing\"]}");
        put("idle-key", "{\"apply_policies\": [\"idle\"]}");
        put("other-key", "{\"apply_policies\": [\"other\"]}");
        put("legacy-key", "{\"apply_policy_id\": \"gold\", \"access_rights\": {\"other\": {}}}");
    }

    @AfterEach
    void stop() {
        gateway.close();
        upstream.close();
    }

    private void put(String key, String session) {
        store.put(KeyHashing.redisKey(key, false), Session.parse(session.getBytes(StandardCharsets.UTF_8)));
    }

    private HttpResponse<String> get(TokenAuthTest.Version version, String path, String key) throws Exception {
        return HttpClient.newBuilder().version(version.client).build().send(Clients.request(gateway.uri(path))
                .header("Authorization", key).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertRefused(int status, String message, HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("{\"error\": \"" + message + "\"}", response.body());
    }

    @ParameterizedTest
    @EnumSource(TokenAuthTest.Version.class)
    void aPolicyGrantingTheApiLetsItsKeysThroughWithinItsUrls(TokenAuthTest.Version version) throws Exception {
        assertEquals(200, get(version, "/api/open", "gold-key").statusCode());
        assertEquals(200, get(version, "/api/open", "legacy-key").statusCode(), "apply_policy_id, the old field");
        assertRefused(403, "Access to this resource has been disallowed", get(version, "/api/closed", "gold-key"));
        assertEquals(2, upstream.requestCount());
    }

    @ParameterizedTest
    @EnumSource(TokenAuthTest.Version.class)
    void keysWhosePoliciesCannotBeAppliedOrDoNotGrantTheApiAreRefused(TokenAuthTest.Version version)
            throws Exception {
        assertRefused(403, "Access to this API has been disallowed", get(version, "/api/open", "lost-key"));
        assertRefused(403, "Key is inactive, please renew", get(version, "/api/open", "idle-key"));
        assertRefused(403, "Access to this API has been disallowed", get(version, "/api/open", "other-key"));
        assertEquals(0, upstream.requestCount());
    }

    @ParameterizedTest
    @EnumSource(TokenAuthTest.Version.class)
    void aReloadThatDropsThePolicyRefusesItsKeysAtOnce(TokenAuthTest.Version version) throws Exception {
        assertEquals(200, get(version, "/api/open", "gold-key").statusCode());
        policies.set(Map.of());
        assertRefused(403, "Access to this API has been disallowed", get(version, "/api/open", "gold-key"));
    }
}
