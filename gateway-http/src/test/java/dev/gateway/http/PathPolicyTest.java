package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.gateway.http.support.Curl;
import dev.gateway.http.support.Http1;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The path policy: a path that an upstream could decode or resolve into another route is refused, runs of slashes
 * are merged before routing and sent upstream merged, and TRACE is refused unless the API allows it. Each shape is
 * sent byte for byte on a raw socket (clients would tidy it), and the upstream must see nothing it should not.
 */
class PathPolicyTest {

    private static final String BAD_REQUEST = "{\"error\": \"malformed request\"}";

    @TempDir
    Path dir;

    private TestUpstream upstream;
    private TestUpstream admin;
    private ProxyUnderTest gateway;

    @BeforeEach
    void start() throws Exception {
        upstream = TestUpstream.start("api");
        admin = TestUpstream.start("admin");
        gateway = ProxyUnderTest.builder(dir)
                .conf(conf -> conf.http("enable_http2", true))
                .api(TykApi.keyless("api", "/api/", upstream.url()).stripListenPath(false))
                .api(TykApi.keyless("admin", "/admin/", admin.url()).stripListenPath(false))
                .api(TykApi.keyless("traced", "/traced/", upstream.url()).stripListenPath(false)
                        .put("allow_trace", true))
                .start();
    }

    @AfterEach
    void stop() {
        gateway.close();
        upstream.close();
        admin.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/api/..%2fadmin/x", "/api/..%2Fadmin/x", "/api%2f..%2fadmin/x", "/api/%5c../admin/x",
        "/api\\..\\admin/x", "/api/..;/admin/x", "/api/.;x=1/admin", "/api/%2e%2e;/admin/x",
        "/api/x%00.json", "/api/%zz", "/api/x%2", "/api/a%2fb"})
    void ambiguousPathsAre400AndNeverReachAnUpstream(String path) throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
            Http1.Response response = client.readResponse();
            assertEquals(400, response.status(), response.bodyText());
            assertEquals(BAD_REQUEST, response.bodyText());
            client.awaitClosed(Duration.ofSeconds(5));
        }
        assertEquals(0, upstream.requestCount(), "the api upstream saw the request");
        assertEquals(0, admin.requestCount(), "the admin upstream saw the request");
    }

    @ParameterizedTest
    @CsvSource({
        "//api//x, /api/x",
        "/api///x/, /api/x/",
        "/api/a;v=1/b, /api/a;v=1/b",
        "/api/..x/x..;p/%2e%2ex, /api/..x/x..;p/%2e%2ex",
        "/api/caf%C3%A9?q=%2f, /api/caf%C3%A9?q=%2f"})
    void otherPathsAreServedInTheirCanonicalForm(String sent, String forwarded) throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            assertEquals(200, client.get(sent).status());
        }
        assertEquals(forwarded, upstream.takeRequest().target());
    }

    @Test
    void mergedSlashesRouteAsTheUpstreamWillSeeThem() throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            Http1.Response response = client.get("//admin//x");
            assertEquals(200, response.status());
            assertEquals("admin", response.bodyText());
        }
        assertEquals("/admin/x", admin.takeRequest().target());
    }

    @Test
    void theSamePolicyHoldsOverHttp2() throws Exception {
        Curl.Result refused = Curl.run("-sS", "--http2-prior-knowledge", "--path-as-is", "-o", "/dev/null",
                "-w", "%{http_version} %{http_code}", "http://127.0.0.1:" + gateway.port() + "/api/..;/admin/x");
        assertEquals("2 400", refused.stdout(), refused.stderr());
        Curl.Result merged = Curl.run("-sS", "--http2-prior-knowledge", "--path-as-is", "-o", "/dev/null",
                "-w", "%{http_version} %{http_code}", "http://127.0.0.1:" + gateway.port() + "/api//x");
        assertEquals("2 200", merged.stdout(), merged.stderr());
        assertEquals("/api/x", upstream.takeRequest().target());
        assertEquals(0, admin.requestCount());
    }

    @Test
    void traceIsRefusedWith405UnlessTheApiAllowsIt() throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            Http1.Response refused = client.exchange("TRACE", "/api/x");
            assertEquals(405, refused.status());
            assertEquals("{\"error\": \"TRACE is not allowed on this API\"}", refused.bodyText());
            assertNull(refused.header("Connection"), "a refused TRACE keeps the connection");
            Http1.Response allowed = client.exchange("TRACE", "/traced/x");
            assertEquals(200, allowed.status());
        }
        TestUpstream.Recorded seen = upstream.takeRequest();
        assertEquals("TRACE", seen.method());
        assertEquals("/traced/x", seen.target());
        assertEquals(1, upstream.requestCount(), "only the allowed TRACE went upstream");
    }
}
