package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.testing.TestCerts;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.Curl;
import dev.gateway.http.support.H2Upstream;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TykApi;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 upstreams: {@code h2c://} targets with prior knowledge, {@code https://} ones with
 * {@code proxy_enable_http2}, one shared connection per event loop that respects the upstream's stream limit
 * and moves on after GOAWAY.
 */
class Http2UpstreamTest {

    @TempDir
    Path dir;

    private ProxyUnderTest gateway(String target) throws Exception {
        return ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .api(TykApi.keyless("api", "/api", target))
                .start();
    }

    private static HttpClient http2Client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    }

    private static String get(HttpClient client, ProxyUnderTest gateway, String path) throws Exception {
        HttpResponse<String> response = client.send(Clients.request(gateway.uri(path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    @Test
    void http11ClientReachesAnH2cUpstreamOverOneSharedConnection() throws Exception {
        try (H2Upstream upstream = H2Upstream.cleartext(100);
                ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + upstream.port())) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (int i = 0; i < 5; i++) {
                assertEquals("h2 /x" + i, get(client, gateway, "/api/x" + i));
            }
            assertEquals(1, upstream.acceptedConnections(), "every request was a stream on one connection");
        }
    }

    @Test
    void proxyEnableHttp2SpeaksH2ToHttpsTargets() throws Exception {
        try (H2Upstream upstream = H2Upstream.tls(TestCerts.localhostPem(), TestCerts.localhostKey());
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(c -> c.put("proxy_enable_http2", true))
                        .api(TykApi.keyless("api", "/api", "https://localhost:" + upstream.port()).skipUpstreamVerify())
                        .start()) {
            assertEquals("h2 /x", get(Clients.http(), gateway, "/api/x"));
        }
    }

    @Test
    void upstreamStreamLimitOpensASecondConnection() throws Exception {
        try (H2Upstream upstream = H2Upstream.cleartext(1);
                ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + upstream.port())) {
            // One HTTP/2 client connection: all its streams are on one event loop, so one upstream pool.
            HttpClient client = http2Client();
            assertEquals("h2 /warm", get(client, gateway, "/api/warm"));
            assertEquals(1, upstream.acceptedConnections());

            CompletableFuture<HttpResponse<String>> first = client.sendAsync(
                    Clients.request(gateway.uri("/api/hold")).build(), HttpResponse.BodyHandlers.ofString());
            CompletableFuture<HttpResponse<String>> second = client.sendAsync(
                    Clients.request(gateway.uri("/api/hold")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(upstream.awaitHeld(2), "both requests should be open upstream at once");
            upstream.release();

            assertEquals("held", first.join().body());
            assertEquals("held", second.join().body());
            assertEquals(2, upstream.acceptedConnections(), "a limit of one stream needs a second connection");
        }
    }

    @Test
    void upstreamResetMidResponseResetsTheClientsStream() throws Exception {
        try (H2Upstream upstream = H2Upstream.cleartext(100);
                ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + upstream.port())) {
            Curl.Result broken = Curl.run("-sS", "--http2-prior-knowledge", "-o", "/dev/null",
                    "http://127.0.0.1:" + gateway.port() + "/api/reset");
            Curl.Result fine = Curl.run("-sS", "--http2-prior-knowledge",
                    "http://127.0.0.1:" + gateway.port() + "/api/ok");

            // curl: 92 is "HTTP/2 stream not closed cleanly", the reset it saw after the response headers.
            assertEquals(92, broken.exitCode(), broken.stderr());
            assertEquals(0, fine.exitCode(), fine.stderr());
            assertEquals("h2 /ok", fine.stdout(), "the shared upstream connection still serves");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/lying-length", "/api/pseudo-trailers"})
    void anUpstreamResponseThatBreaksHttp2IsNeverPassedOnAsComplete(String path) throws Exception {
        try (H2Upstream upstream = H2Upstream.cleartext(100);
                ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + upstream.port())) {
            Curl.Result broken = Curl.run("-sS", "--http2-prior-knowledge", "-o", "/dev/null",
                    "http://127.0.0.1:" + gateway.port() + path);
            Curl.Result fine = Curl.run("-sS", "--http2-prior-knowledge",
                    "http://127.0.0.1:" + gateway.port() + "/api/ok");

            // A stream reset after the head (curl 92), or a 502 before it; never a clean end.
            assertTrue(broken.exitCode() != 0 || broken.stderr().contains("502"), broken.stderr());
            assertEquals(0, fine.exitCode(), fine.stderr());
            assertEquals("h2 /ok", fine.stdout(), "the shared upstream connection still serves");
        }
    }

    private ProxyUnderTest gatewayPinging(String target, long intervalMillis) throws Exception {
        return ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .settings(s -> s.withUpstreamPingInterval(TimeUnit.MILLISECONDS.toNanos(intervalMillis)))
                .api(TykApi.keyless("api", "/api", target))
                .start();
    }

    @Test
    void silentUpstreamConnectionWithAnOpenStreamIsPingedAndKept() throws Exception {
        try (H2Upstream upstream = H2Upstream.cleartext(100);
                ProxyUnderTest gateway = gatewayPinging("h2c://127.0.0.1:" + upstream.port(), 200)) {
            CompletableFuture<HttpResponse<String>> held = Clients.http().sendAsync(
                    Clients.request(gateway.uri("/api/hold")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(upstream.awaitHeld(1));

            assertTrue(upstream.awaitPing(), "the silent connection was never pinged");
            assertTrue(upstream.awaitPing(), "pings stopped although they were answered");
            upstream.release();

            assertEquals("held", held.get(10, TimeUnit.SECONDS).body());
            assertEquals(1, upstream.acceptedConnections());
        }
    }

    @Test
    void upstreamThatNeverAnswersPingsIsClosedAndItsRequestsFail() throws Exception {
        try (H2Upstream upstream = H2Upstream.deafToPings();
                ProxyUnderTest gateway = gatewayPinging("h2c://127.0.0.1:" + upstream.port(), 200)) {
            CompletableFuture<HttpResponse<String>> held = Clients.http().sendAsync(
                    Clients.request(gateway.uri("/api/hold")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(upstream.awaitHeld(1));

            HttpResponse<String> response = held.get(10, TimeUnit.SECONDS);

            assertEquals(502, response.statusCode(), response.body());
            assertTrue(upstream.awaitConnectionClosed());
        }
    }

    @Test
    void upstreamConnectionWithoutStreamsClosesAfterThePingInterval() throws Exception {
        try (H2Upstream upstream = H2Upstream.cleartext(100);
                ProxyUnderTest gateway = gatewayPinging("h2c://127.0.0.1:" + upstream.port(), 200)) {
            assertEquals("h2 /x", get(Clients.http(), gateway, "/api/x"));

            assertTrue(upstream.awaitConnectionClosed(), "the idle connection stayed open");
            assertEquals("h2 /y", get(Clients.http(), gateway, "/api/y"), "a new connection serves");
        }
    }

    @Test
    void afterGoAwayNewStreamsGoToANewConnection() throws Exception {
        try (H2Upstream upstream = H2Upstream.cleartext(100);
                ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + upstream.port())) {
            HttpClient client = http2Client();
            assertEquals("h2 /before", get(client, gateway, "/api/before"));

            upstream.goAway();

            assertEquals("h2 /after", get(client, gateway, "/api/after"));
            assertEquals(2, upstream.acceptedConnections());
        }
    }
}
