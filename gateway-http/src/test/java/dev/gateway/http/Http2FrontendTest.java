package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.gateway.core.testing.CapturedLog;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.testing.TestTls;
import dev.gateway.core.tls.PemKeyPair;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.Curl;
import dev.gateway.http.support.HeapWatch;
import dev.gateway.http.support.PatternStream;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawH2;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 clients on the frontend: prior knowledge and {@code Upgrade: h2c} in cleartext, ALPN over TLS, each
 * proxied to an HTTP/1.1 upstream; HTTP/1.1 clients keep working on the same ports.
 */
class Http2FrontendTest {

    @TempDir
    Path dir;

    private ProxyUnderTest cleartextGateway(TestUpstream upstream, boolean http2) throws Exception {
        return ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", http2))
                .api(TykApi.keyless("api", "/api", upstream.url()))
                .start();
    }

    private static HttpClient http2Client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(Clients.REQUEST_TIMEOUT)
                .build();
    }

    @Test
    void priorKnowledgeClientReachesAnHttp1Upstream() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = cleartextGateway(upstream, true)) {
            Curl.Result result = Curl.run("-sS", "--http2-prior-knowledge", "-o", "-", "-w", "\n%{http_version} %{http_code}",
                    "http://127.0.0.1:" + gateway.port() + "/api/x");

            assertEquals(0, result.exitCode(), result.stderr());
            assertEquals("up\n2 200", result.stdout());
            TestUpstream.Recorded seen = upstream.takeRequest();
            assertEquals("/x", seen.target(), "the listen path is stripped, as over HTTP/1.1");
            assertEquals("127.0.0.1", seen.header("X-Forwarded-For"));
            assertEquals("127.0.0.1:" + upstream.port(), seen.header("Host"));
            assertNull(seen.header("x-http2-stream-id"), "the HTTP/2 stream id must not leak upstream");
        }
    }

    @Test
    void upgradeRequestIsAnsweredWithHttp2() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = cleartextGateway(upstream, true)) {
            HttpClient client = http2Client();
            // The JDK client asks to upgrade on its first request to a cleartext origin, then reuses HTTP/2.
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> response = client.send(Clients.request(gateway.uri("/api/" + i)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
                assertEquals("up", response.body());
                assertEquals(HttpClient.Version.HTTP_2, response.version(), "request " + i);
            }
            assertEquals(1, gateway.acceptedConnections(), "the upgraded connection carries the later requests");
        }
    }

    @Test
    void withoutEnableHttp2TheUpgradeIsIgnoredAndHttp11Answers() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = cleartextGateway(upstream, false)) {
            HttpResponse<String> response = http2Client().send(Clients.request(gateway.uri("/api/x")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(200, response.statusCode());
            assertEquals(HttpClient.Version.HTTP_1_1, response.version());
            assertNull(upstream.takeRequest().header("Upgrade"), "Upgrade is hop-by-hop");
        }
    }

    @Test
    void concurrentStreamsOnOneConnectionEachGetTheirOwnAnswer() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up", exchange -> {
                    String path = exchange.getRequestURI().getPath();
                    exchange.getRequestBody().readAllBytes();
                    TestUpstream.respond(exchange, 200, path.substring(path.lastIndexOf('/') + 1));
                });
                ProxyUnderTest gateway = cleartextGateway(upstream, true)) {
            HttpClient client = http2Client();
            client.send(Clients.request(gateway.uri("/api/warm")).build(), HttpResponse.BodyHandlers.ofString());
            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                responses.add(client.sendAsync(Clients.request(gateway.uri("/api/" + i))
                        .POST(HttpRequest.BodyPublishers.ofString("body " + i)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < 50; i++) {
                HttpResponse<String> response = responses.get(i).join();
                assertEquals(String.valueOf(i), response.body());
                assertEquals(HttpClient.Version.HTTP_2, response.version());
            }
            assertEquals(1, gateway.acceptedConnections());
        }
    }

    @Test
    void tlsClientsChooseHttp2OrHttp11ByAlpn() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(c -> c.http("enable_http2", true))
                        .https(PemKeyPair.of(TestCerts.localhostPem(), TestCerts.localhostKey()))
                        .api(TykApi.keyless("api", "/api", upstream.url()))
                        .start()) {
            URI uri = URI.create("https://localhost:" + gateway.port() + "/api/x");
            for (HttpClient.Version version : HttpClient.Version.values()) {
                HttpClient client = HttpClient.newBuilder().version(version)
                        .sslContext(TestTls.trusting(TestCerts.caPem())).build();

                HttpResponse<String> response = client.send(Clients.request(uri).build(),
                        HttpResponse.BodyHandlers.ofString());

                assertEquals(200, response.statusCode());
                assertEquals("up", response.body());
                assertEquals(version, response.version());
            }
            assertEquals("https", upstream.takeRequest().header("X-Forwarded-Proto"));
        }
    }

    @Test
    void http2UploadToASlowUpstreamKeepsTheGatewaysBuffersBounded() throws Exception {
        long size = 48 * HeapWatch.MIB;
        try (TestUpstream upstream = TestUpstream.start("sink", exchange -> {
                    // Reads 64 KiB at a time with a pause: a consumer far slower than the client's uploads.
                    long received = 0;
                    byte[] buffer = new byte[64 * 1024];
                    try (InputStream body = exchange.getRequestBody()) {
                        for (int n; (n = body.read(buffer)) != -1; ) {
                            received += n;
                            sleepMillis(1);
                        }
                    }
                    TestUpstream.respond(exchange, 200, String.valueOf(received));
                });
                ProxyUnderTest gateway = cleartextGateway(upstream, true);
                HeapWatch memory = HeapWatch.start()) {
            HttpRequest request = Clients.request(gateway.uri("/api/upload"))
                    .timeout(java.time.Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.fromPublisher(
                            HttpRequest.BodyPublishers.ofInputStream(() -> new PatternStream(size)), size))
                    .build();
            HttpClient client = http2Client();
            client.send(Clients.request(gateway.uri("/api/warm")).build(), HttpResponse.BodyHandlers.discarding());

            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

            assertEquals(HttpClient.Version.HTTP_2, response.version());
            assertEquals(String.valueOf(size), response.body());
            // Without the stream's flow-control window holding the client back, most of it would wait in the gateway.
            assertTrue(memory.maxNettyDirect() < 16 * HeapWatch.MIB, memory.summary());
        }
    }

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis); // the slowness under test, not a wait for an event
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ProxyUnderTest gatewayWithOneSecondTimeouts(TestUpstream upstream) throws Exception {
        return ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true).http("read_timeout", 1).http("read_body_timeout", 1))
                .api(TykApi.keyless("api", "/api", upstream.url()))
                .start();
    }

    @Test
    void idleHttp2ConnectionClosesAfterReadTimeout() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = gatewayWithOneSecondTimeouts(upstream);
                Socket socket = new Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // an empty SETTINGS frame
            out.flush();
            long start = System.nanoTime();

            // The gateway's SETTINGS, its ack, then GOAWAY and the end of the stream once read_timeout passed.
            InputStream in = socket.getInputStream();
            while (in.read() != -1) {
                // drain the frames
            }

            long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMillis >= 900 && waitedMillis < 5_000, "closed after " + waitedMillis + " ms");
        }
    }

    @Test
    void aStreamWhoseBodyStallsIsAnsweredAfterReadBodyTimeoutAndTheConnectionServesOn() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = gatewayWithOneSecondTimeouts(upstream);
                RawH2 client = RawH2.h2c(gateway.port())) {
            long start = System.nanoTime();
            client.post(1, "/api/upload");
            client.data(1, "the first part, and then nothing".getBytes(StandardCharsets.US_ASCII));
            client.flush();

            // 408 with END_STREAM once read_body_timeout passed without more of the body; the connection stays.
            assertEquals("end", client.awaitEnd(1, 5, TimeUnit.SECONDS));
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMillis >= 900, "answered after " + waitedMillis + " ms");
            client.get(3, "/api/after");
            client.flush();
            assertEquals("end", client.awaitEnd(3, 5, TimeUnit.SECONDS));
            assertFalse(client.goAwayReceived());
        }
    }

    @Test
    void malformedRequestsResetTheirStreamsAndTheConnectionServesOn() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = cleartextGateway(upstream, true);
                CapturedLog log = CapturedLog.attach();
                RawH2 client = RawH2.h2c(gateway.port())) {
            // A line break in a field value: Netty's HPACK decoding refuses it before any stream exists.
            client.get(1, "/api/x", "x-note", "a\r\nx-injected: yes");
            // A host that contradicts :authority: the stream codec refuses it (RFC 9113, 8.3.1).
            client.get(3, "/api/x", "host", "elsewhere.example");
            client.flush();

            for (int stream : new int[] {1, 3}) {
                String ending = client.awaitEnd(stream, 5, TimeUnit.SECONDS);
                assertTrue(ending != null && ending.startsWith("reset:"), "stream " + stream + " ended by " + ending);
            }
            client.get(5, "/api/after");
            client.flush();
            assertEquals("end", client.awaitEnd(5, 5, TimeUnit.SECONDS));
            assertFalse(client.goAwayReceived());
            log.awaitLogged(Level.INFO, "malformed HTTP/2 request", "host");
            log.awaitLogged(Level.INFO, "HTTP/2 stream 1 refused before any route", "conn=");
            assertTrue(log.find(Level.WARN, "FrontendHandler").isEmpty(), String.join("\n", log.lines()));
            assertTrue(log.chars() < 2_000, "no stack trace: " + log.chars() + " chars logged");
        }
    }

    @Test
    void noRouteOverHttp2IsAJson404() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = cleartextGateway(upstream, true)) {
            Curl.Result result = Curl.run("-sS", "--http2-prior-knowledge", "-o", "-", "-w", "\n%{http_version} %{http_code}",
                    "http://127.0.0.1:" + gateway.port() + "/nothing");

            assertEquals(0, result.exitCode(), result.stderr());
            assertTrue(result.stdout().endsWith("\n2 404"), result.stdout());
            assertTrue(result.stdout().startsWith("{\"error\": \"no API matches"), result.stdout());
            assertNotEquals(0, gateway.acceptedConnections());
        }
    }
}
