package dev.gateway.auth.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.auth.AuthFilters;
import dev.gateway.auth.BasicPasswords;
import dev.gateway.core.config.AuthSettings;
import dev.gateway.core.keys.KeyHashing;
import dev.gateway.core.keys.MemoryKeyStore;
import dev.gateway.core.keys.Session;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Basic authentication over HTTP/1.1 and HTTP/2, through real sockets: users stored as Tyk's gateway stores them
 * ({@code apikey-<org_id><user>}) with bcrypt, plain and sha256 passwords; Tyk's answers and challenge header for
 * every failure; the bcrypt cache, counted in bcrypt runs.
 */
class BasicAuthTest {

    enum Version {
        HTTP_1_1(HttpClient.Version.HTTP_1_1), HTTP_2(HttpClient.Version.HTTP_2);

        final HttpClient.Version client;

        Version(HttpClient.Version client) {
            this.client = client;
        }
    }

    private static final String REALM = "Basic realm=\"API basic\"";

    @TempDir
    Path dir;

    private final MemoryKeyStore store = new MemoryKeyStore();
    private AuthFilters auth;
    private TestUpstream upstream;
    private ProxyUnderTest gateway;

    @BeforeEach
    void start() throws Exception {
        upstream = TestUpstream.start("up");
        auth = new AuthFilters(store, AuthSettings.defaults(), false, Map::of);
        gateway = ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .api(TykApi.keyless("basic", "/basic", upstream.url()))
                .api(TykApi.keyless("nocache", "/nocache", upstream.url()).put("basic_auth.disable_caching", true))
                .filters(api -> auth.basicAuth(api))
                .start();
        user("alice", BasicPasswords.hash("secret", "bcrypt"), "bcrypt");
        user("bob", "hunter2", "");
        user("carol", KeyHashing.hash("pw", "sha256"), "sha256");
    }

    @AfterEach
    void stop() {
        gateway.close();
        upstream.close();
        auth.close();
    }

    private void user(String name, String password, String hashType) {
        String json = "{\"org_id\": \"test-org\", \"basic_auth_data\": {\"password\": \"" + password
                + "\", \"hash_type\": \"" + hashType + "\"}}";
        store.put(KeyHashing.redisKey(KeyHashing.gatewayKey("test-org", name, ""), false),
                Session.parse(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static String basic(String userAndPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userAndPassword.getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> get(Version version, String path, String authorization) throws Exception {
        HttpRequest.Builder request = Clients.request(gateway.uri(path));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HttpClient.newBuilder().version(version.client).build().send(request.build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertRefused(int status, String message, Optional<String> challenge,
            HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("{\"error\": \"" + message + "\"}", response.body());
        assertEquals(challenge, response.headers().firstValue("www-authenticate"));
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void goodCredentialsPassWhateverTheStoredHash(Version version) throws Exception {
        assertEquals(200, get(version, "/basic/x", basic("alice:secret")).statusCode(), "bcrypt");
        assertEquals(200, get(version, "/basic/x", basic("bob:hunter2")).statusCode(), "plain text");
        assertEquals(200, get(version, "/basic/x", basic("carol:pw")).statusCode(), "sha256");
        assertEquals(200, get(version, "/basic/x", basic("test-orgbob:hunter2")).statusCode(), "the stored name");
        assertEquals(4, upstream.requestCount());
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void unknownUsersAndWrongPasswordsAreChallenged(Version version) throws Exception {
        Optional<String> challenge = Optional.of(REALM);
        assertRefused(401, "User not authorised", challenge, get(version, "/basic/x", basic("alice:wrong")));
        assertRefused(401, "User not authorised", challenge, get(version, "/basic/x", basic("bob:Hunter2")));
        assertRefused(401, "User not authorised", challenge, get(version, "/basic/x", basic("carol:px")));
        assertRefused(401, "User not authorised", challenge, get(version, "/basic/x", basic("mallory:secret")));
        assertRefused(401, "Authorization field missing", challenge, get(version, "/basic/x", null));
        assertEquals(0, upstream.requestCount());
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void malformedCredentialsGetTyksThreeAnswersWithoutAChallenge(Version version) throws Exception {
        String notBasic = "Attempted access with malformed header, header not in basic auth format";
        String notEncoded = "Attempted access with malformed header, auth data not encoded correctly";
        String notAPair = "Attempted access with malformed header, values not in basic auth format";
        assertRefused(400, notBasic, Optional.empty(), get(version, "/basic/x", "Basic"));
        assertRefused(400, notBasic, Optional.empty(), get(version, "/basic/x", "Basic a b"));
        assertRefused(400, notEncoded, Optional.empty(), get(version, "/basic/x", "Basic !!!!"));
        assertRefused(400, notEncoded, Optional.empty(), get(version, "/basic/x", "Basic YWxpY2U6c2VjcmV0"
                .substring(0, 15)));
        assertRefused(400, notAPair, Optional.empty(), get(version, "/basic/x", basic("alice")));
        assertRefused(400, notAPair, Optional.empty(), get(version, "/basic/x", basic("alice:sec:ret")));
        assertEquals(200, get(version, "/basic/x", "Anything " + Base64.getEncoder().encodeToString(
                "alice:secret".getBytes(StandardCharsets.UTF_8))).statusCode(), "the scheme word is not checked");
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void aVerifiedPasswordIsRememberedButNeverForAnotherPasswordOrHash(Version version) throws Exception {
        long before = PasswordChecks.bcryptRuns();
        assertEquals(200, get(version, "/basic/x", basic("alice:secret")).statusCode());
        assertEquals(before + 1, PasswordChecks.bcryptRuns());
        assertEquals(200, get(version, "/basic/x", basic("alice:secret")).statusCode());
        assertEquals(before + 1, PasswordChecks.bcryptRuns(), "served from the cache");

        assertEquals(401, get(version, "/basic/x", basic("alice:wrong")).statusCode());
        assertEquals(before + 2, PasswordChecks.bcryptRuns(), "another password runs bcrypt");

        user("alice", BasicPasswords.hash("changed", "bcrypt"), "bcrypt");
        assertEquals(401, get(version, "/basic/x", basic("alice:secret")).statusCode(), "the old password");
        assertEquals(before + 3, PasswordChecks.bcryptRuns(), "a new stored hash is never a hit");
        assertEquals(200, get(version, "/basic/x", basic("alice:changed")).statusCode());
        assertEquals(200, get(version, "/basic/x", basic("alice:changed")).statusCode());
        assertEquals(before + 4, PasswordChecks.bcryptRuns());
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void disabledCachingRunsBcryptEveryTime(Version version) throws Exception {
        long before = PasswordChecks.bcryptRuns();
        assertEquals(200, get(version, "/nocache/x", basic("alice:secret")).statusCode());
        assertEquals(200, get(version, "/nocache/x", basic("alice:secret")).statusCode());
        assertEquals(before + 2, PasswordChecks.bcryptRuns());
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void theSessionFoundIsTheOneLaterChecksSee(Version version) throws Exception {
        store.put(KeyHashing.redisKey("test-orgdave", false), Session.parse(("{\"org_id\": \"test-org\","
                + " \"is_inactive\": true, \"basic_auth_data\": {\"password\": \"pw\", \"hash_type\": \"\"}}")
                .getBytes(StandardCharsets.UTF_8)));
        HttpResponse<String> response = get(version, "/basic/x", basic("dave:pw"));
        assertEquals(403, response.statusCode());
        assertTrue(response.body().contains("Key is inactive"), response.body());
    }
}
