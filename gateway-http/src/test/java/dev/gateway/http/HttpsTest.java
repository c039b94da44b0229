package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.testing.TestTls;
import dev.gateway.core.tls.PemKeyPair;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.Curl;
import dev.gateway.http.support.Http1;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS on both sides: certificates picked by SNI for clients, verification (or not) of upstreams. */
class HttpsTest {

    private static final String UPSTREAM_TLS = "{\"error\": \"upstream TLS handshake failed\"}";

    @TempDir
    Path dir;

    private static SSLContext trustingTestCa() throws Exception {
        return TestTls.trusting(TestCerts.caPem());
    }

    private ProxyUnderTest httpsGateway(String upstreamUrl) throws Exception {
        return ProxyUnderTest.builder(dir)
                .https(PemKeyPair.of(TestCerts.localhostPem(), TestCerts.localhostKey()),
                        PemKeyPair.fromPath(TestCerts.examplePem()))
                .api(TykApi.keyless("api", "/api", upstreamUrl))
                .start();
    }

    private static List<String> servedNames(RawClient client) throws Exception {
        Certificate leaf = ((SSLSocket) client.socket()).getSession().getPeerCertificates()[0];
        return TestTls.dnsNames(leaf);
    }

    @Test
    void httpsListenerPicksTheCertificateBySni() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = httpsGateway(upstream.url())) {
            SSLContext tls = trustingTestCa();
            try (RawClient client = RawClient.connectTls(gateway.port(), "api.example.com", tls)) {
                assertEquals(List.of("api.example.com", "*.wild.example.com"), servedNames(client));
                assertEquals("up", client.get("/api/x", "Host: api.example.com").bodyText());
            }
            try (RawClient client = RawClient.connectTls(gateway.port(), "eu.wild.example.com", tls)) {
                assertEquals(List.of("api.example.com", "*.wild.example.com"), servedNames(client));
            }
            try (RawClient client = RawClient.connectTls(gateway.port(), "localhost", tls)) {
                assertEquals(List.of("localhost"), servedNames(client));
                assertEquals("up", client.get("/api/x").bodyText());
            }
            try (RawClient client = RawClient.connectTls(gateway.port(), "unknown.test", tls)) {
                assertEquals(List.of("localhost"), servedNames(client), "the first certificate is the default");
            }
            assertEquals("https", upstream.takeRequest().header("X-Forwarded-Proto"));
        }
    }

    @Test
    void jdkClientVerifiesTheGatewayCertificateAndGetsProxied() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = httpsGateway(upstream.url())) {
            HttpClient client = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .sslContext(trustingTestCa())
                    .build();
            HttpResponse<String> response = client.send(
                    Clients.request(URI.create("https://localhost:" + gateway.port() + "/api/x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertEquals("up", response.body());
            Certificate leaf = response.sslSession().orElseThrow().getPeerCertificates()[0];
            assertEquals(List.of("localhost"), TestTls.dnsNames(leaf));
        }
    }

    @Test
    void curlReachesTheApiByNameAndVerifiesTheCertificateSniPicked() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = httpsGateway(upstream.url())) {
            String authority = "api.example.com:" + gateway.port();
            Curl.Result result = Curl.run("--silent", "--show-error", "--http1.1",
                    "--cacert", TestCerts.caPem().toString(),
                    "--resolve", authority + ":127.0.0.1",
                    "--write-out", " %{http_code}",
                    "https://" + authority + "/api/x");
            assertEquals(0, result.exitCode(), result.stderr());
            assertEquals("up 200", result.stdout());
            assertEquals(authority, upstream.takeRequest().header("X-Forwarded-Host"));
        }
    }

    @Test
    void untrustedUpstreamCertificateIs502() throws Exception {
        try (TestUpstream upstream = TestUpstream.startHttps("self",
                TestTls.server(TestCerts.selfSignedPem(), TestCerts.selfSignedKey()));
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            Http1.Response response = client.get("/api/x");
            assertEquals(502, response.status());
            assertEquals(UPSTREAM_TLS, response.bodyText());
            assertEquals(0, upstream.requestCount());
        }
    }

    @Test
    void upstreamSignedByACaTheJvmDoesNotTrustIs502() throws Exception {
        try (TestUpstream upstream = TestUpstream.startHttps("ca-signed",
                TestTls.server(TestCerts.localhostPem(), TestCerts.localhostKey()));
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            Http1.Response response = client.get("/api/x");
            assertEquals(502, response.status());
            assertEquals(UPSTREAM_TLS, response.bodyText());
        }
    }

    @Test
    void apiSkipVerifyReachesAnUntrustedUpstream() throws Exception {
        try (TestUpstream upstream = TestUpstream.startHttps("self",
                TestTls.server(TestCerts.selfSignedPem(), TestCerts.selfSignedKey()));
                ProxyUnderTest gateway = ProxyUnderTest.start(dir,
                        TykApi.keyless("api", "/api", upstream.url()).skipUpstreamVerify());
                RawClient client = RawClient.connect(gateway.port())) {
            for (int i = 0; i < 3; i++) {
                Http1.Response response = client.get("/api/x");
                assertEquals(200, response.status(), response.bodyText());
                assertEquals("self", response.bodyText());
            }
            assertEquals(1, upstream.connectionCount(), "TLS upstream connections are pooled too");
        }
    }

    @Test
    void gatewayWideSkipVerifyReachesAnUntrustedUpstream() throws Exception {
        try (TestUpstream upstream = TestUpstream.startHttps("self",
                TestTls.server(TestCerts.selfSignedPem(), TestCerts.selfSignedKey()));
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(conf -> conf.put("proxy_ssl_insecure_skip_verify", true))
                        .api(TykApi.keyless("api", "/api", upstream.url()))
                        .start();
                RawClient client = RawClient.connect(gateway.port())) {
            assertEquals(200, client.get("/api/x").status());
        }
    }

    @Test
    void plainHttpAndGarbageOnTheHttpsPortAreClosedWithoutDisturbingOthers() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = httpsGateway(upstream.url());
                RawClient good = RawClient.connectTls(gateway.port(), "localhost", trustingTestCa())) {
            assertEquals(200, good.get("/api/before").status());

            try (RawClient plain = RawClient.connect(gateway.port())) {
                plain.send("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n");
                plain.drainUntilClosed(Duration.ofSeconds(5));
            }
            byte[] garbage = new byte[64];
            new Random(7).nextBytes(garbage);
            // A handshake record header claiming 48 bytes, followed by noise.
            byte[] hello = new byte[5 + 48];
            hello[0] = 0x16;
            hello[1] = 0x03;
            hello[2] = 0x01;
            hello[3] = 0x00;
            hello[4] = 48;
            System.arraycopy(garbage, 0, hello, 5, 48);
            try (RawClient noise = RawClient.connect(gateway.port())) {
                noise.send(hello);
                noise.drainUntilClosed(Duration.ofSeconds(5));
            }
            try (RawClient noise = RawClient.connect(gateway.port())) {
                noise.send(garbage);
                noise.drainUntilClosed(Duration.ofSeconds(5));
            }

            Http1.Response after = good.get("/api/after");
            assertEquals(200, after.status());
            assertEquals("up", after.bodyText());
            assertEquals(2, upstream.requestCount(), "only the good connection's requests were proxied");
        }
    }

    @Test
    void silentTlsClientIsClosedAfterReadTimeout() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(conf -> conf.http("read_timeout", 1))
                        .https(PemKeyPair.of(TestCerts.localhostPem(), TestCerts.localhostKey()))
                        .api(TykApi.keyless("api", "/api", upstream.url()))
                        .start();
                RawClient silent = RawClient.connect(gateway.port())) {
            Duration closed = silent.awaitClosed(Duration.ofSeconds(10));
            assertFalse(closed.compareTo(Duration.ofMillis(800)) < 0, "closed after " + closed);
            assertTrue(closed.compareTo(Duration.ofSeconds(6)) < 0, "closed after " + closed);
        }
    }

    @Test
    void plainClientGetsNoHttpAnswerFromTheHttpsPort() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = httpsGateway(upstream.url());
                RawClient plain = RawClient.connect(gateway.port())) {
            plain.send("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n");
            byte[] answer;
            try {
                answer = plain.in().readNBytes(5);
            } catch (SocketException reset) {
                answer = new byte[0];
            }
            assertFalse(new String(answer, StandardCharsets.ISO_8859_1).startsWith("HTTP/"),
                    "a TLS port must not speak cleartext HTTP");
            assertEquals(0, upstream.requestCount());
        }
    }
}
