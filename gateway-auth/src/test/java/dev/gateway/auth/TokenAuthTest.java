package dev.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Token authentication over HTTP/1.1 and HTTP/2, through real sockets: where the key is read from, what an absent,
 * unknown, inactive or expired key gets (Tyk's statuses and words), a key without rights to the API, and a store
 * that does not answer. Keys are stored as Tyk stores them, under {@code apikey-<murmur hash>}.
 */
class TokenAuthTest {

    /** The HTTP version a client speaks. */
    enum Version {
        HTTP_1_1(HttpClient.Version.HTTP_1_1), HTTP_2(HttpClient.Version.HTTP_2);

        final HttpClient.Version client;

        Version(HttpClient.Version client) {
            this.client = client;
        }
    }

    @TempDir
    Path dir;

    private final MemoryKeyStore store = new MemoryKeyStore();
    private TestUpstream upstream;
    private ProxyUnderTest gateway;

    @BeforeEach
    void start() throws Exception {
        upstream = TestUpstream.start("up");
        AuthFilters auth = new AuthFilters(store, true, false);
        gateway = ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .api(TykApi.keyless("api", "/api", upstream.url()))
                .api(TykApi.keyless("params", "/params", upstream.url()).put("auth_configs.authToken.use_param",
                        true).put("auth_configs.authToken.use_cookie", true)
                        .put("auth_configs.authToken.cookie_name", "session"))
                .filters(api -> auth.tokenAuth(api))
                .start();
        put("good-key", "{\"org_id\": \"o\"}");
        put("idle-key", "{\"is_inactive\": true}");
        put("old-key", "{\"expires\": 1000}");
        put("other-key", "{\"access_rights\": {\"elsewhere\": {\"api_id\": \"elsewhere\"}}}");
        put("api-key", "{\"access_rights\": {\"api\": {\"api_id\": \"api\", \"api_name\": \"api\"}}}");
        put("acl-key", "{\"access_rights\": {\"api\": {\"api_id\": \"api\", \"allowed_urls\": ["
                + "{\"url\": \"/users/{id}\", \"methods\": [\"GET\"]},"
                + "{\"url\": \"/helloworld.Greeter/SayHello\", \"methods\": [\"POST\"]}]}}}");
    }

    @AfterEach
    void stop() {
        gateway.close();
        upstream.close();
    }

    private void put(String key, String session) {
        store.put(KeyHashing.redisKey(key, true), Session.parse(session.getBytes(StandardCharsets.UTF_8)));
    }

    private HttpResponse<String> get(Version version, String path, String... headers) throws Exception {
        HttpRequest.Builder request = Clients.request(gateway.uri(path));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        HttpClient client = HttpClient.newBuilder().version(version.client).build();
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertRefused(int status, String message, HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("{\"error\": \"" + message + "\"}", response.body());
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void aKnownKeyPassesInTheHeaderWithOrWithoutBearer(Version version) throws Exception {
        assertEquals(200, get(version, "/api/x", "Authorization", "good-key").statusCode());
        assertEquals(200, get(version, "/api/x", "Authorization", "bEaReR good-key").statusCode());
        assertEquals(200, get(version, "/api/x", "Authorization", "api-key").statusCode(), "rights on this API");
        assertEquals(3, upstream.requestCount());
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void refusalsSpeakTyksWords(Version version) throws Exception {
        assertRefused(401, "Authorization field missing", get(version, "/api/x"));
        // HTTP trims a field's trailing space, so "Bearer " arrives as the key "Bearer", unknown: as in Tyk.
        assertRefused(403, "Access to this API has been disallowed",
                get(version, "/api/x", "Authorization", "Bearer "));
        assertRefused(403, "Access to this API has been disallowed",
                get(version, "/api/x", "Authorization", "no-such-key"));
        assertRefused(403, "Access to this API has been disallowed", get(version, "/api/x", "Authorization", "ab"));
        assertRefused(403, "Key is inactive, please renew", get(version, "/api/x", "Authorization", "idle-key"));
        assertRefused(401, "Key has expired, please renew", get(version, "/api/x", "Authorization", "old-key"));
        assertRefused(403, "Access to this API has been disallowed",
                get(version, "/api/x", "Authorization", "other-key"));
        assertEquals(0, upstream.requestCount(), "no refused request reached the upstream");
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void allowedUrlsLetThroughWhatTheyNameAndNothingThatSlipsPast(Version version) throws Exception {
        String[] key = {"Authorization", "acl-key"};
        assertEquals(200, get(version, "/api/users/7", key).statusCode());
        assertEquals(200, get(version, "/api/users/7/", key).statusCode(), "a trailing slash never counts");
        assertEquals(200, get(version, "/api//users/%37", key).statusCode(), "the canonical, decoded path");
        for (String path : new String[] {"/api/users/7/delete", "/api/users", "/api/admin/users/7",
                "/api/helloworld.Greeter/SayHelloAgain"}) {
            assertRefused(403, "Access to this resource has been disallowed", get(version, path, key));
        }
        HttpRequest delete = Clients.request(gateway.uri("/api/users/7")).header("Authorization", "acl-key")
                .DELETE().build();
        assertEquals(403, HttpClient.newBuilder().version(version.client).build()
                .send(delete, HttpResponse.BodyHandlers.ofString()).statusCode(), "a method it does not name");
        assertEquals(3, upstream.requestCount());
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void theCookieWinsOverTheParameterWhichWinsOverTheHeader(Version version) throws Exception {
        assertEquals(200, get(version, "/params/x?Authorization=good-key").statusCode(), "named like the header");
        assertEquals(200, get(version, "/params/x?Authorization=good-key", "Authorization", "no-such-key")
                .statusCode());
        assertEquals(403, get(version, "/params/x?Authorization=no-such-key", "Authorization", "good-key")
                .statusCode());
        assertEquals(200, get(version, "/params/x?Authorization=no-such-key", "Cookie", "session=good-key")
                .statusCode());
        assertEquals(401, get(version, "/api/x?Authorization=good-key").statusCode(),
                "an API without use_param reads only its header");
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void aStoreThatDoesNotAnswerFailsClosed(Version version) throws Exception {
        gateway.close();
        AuthFilters broken = new AuthFilters(new FailingStore(), true, false);
        gateway = ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .api(TykApi.keyless("api", "/api", upstream.url()))
                .filters(api -> broken.tokenAuth(api))
                .start();
        assertRefused(503, "key store unavailable", get(version, "/api/x", "Authorization", "good-key"));
        assertEquals(0, upstream.requestCount());
    }

    /** A store whose every answer is a failure, as Redis down. */
    private static final class FailingStore implements dev.gateway.core.keys.KeyStore {
        @Override
        public CompletionStage<Session> get(String storageKey) {
            return CompletableFuture.failedFuture(new IllegalStateException("connection refused"));
        }

        @Override
        public CompletionStage<Void> put(String storageKey, Session session) {
            return CompletableFuture.failedFuture(new IllegalStateException("connection refused"));
        }

        @Override
        public CompletionStage<Boolean> delete(String storageKey) {
            return CompletableFuture.failedFuture(new IllegalStateException("connection refused"));
        }

        @Override
        public CompletionStage<java.util.List<String>> list() {
            return CompletableFuture.failedFuture(new IllegalStateException("connection refused"));
        }
    }
}
