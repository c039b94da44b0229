package dev.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ch.qos.logback.classic.Level;
import dev.gateway.core.keys.MemoryKeyStore;
import dev.gateway.core.testing.CapturedLog;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.testing.TestTls;
import dev.gateway.core.tls.ClientCertificates;
import dev.gateway.core.tls.PemKeyPair;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.Curl;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Static mutual TLS ({@code use_mutual_tls_auth} with {@code client_certificates}) over real sockets, with the JDK
 * client on HTTP/1.1 and HTTP/2 and with curl. On a port that also serves an API without mTLS, the handshake asks
 * for a certificate without requiring one, and each mTLS API's filter answers in Tyk's words; on a port where every
 * API uses mTLS, a client without an accepted certificate fails the handshake.
 */
class MutualTlsTest {

    enum Version {
        HTTP_1_1(HttpClient.Version.HTTP_1_1), HTTP_2(HttpClient.Version.HTTP_2);

        final HttpClient.Version client;

        Version(HttpClient.Version client) {
            this.client = client;
        }
    }

    @TempDir
    Path dir;

    private final AuthFilters auth = new AuthFilters(new MemoryKeyStore(), true, false);
    private TestUpstream upstream;
    private ProxyUnderTest gateway;
    private CapturedLog log;

    @BeforeEach
    void start() throws Exception {
        Path certs = Files.createDirectories(dir.resolve("certs"));
        for (Path file : List.of(TestCerts.selfSignedPem(), TestCerts.caPem(), TestCerts.expiredClientPem())) {
            Files.copy(file, certs.resolve(file.getFileName()));
        }
        upstream = TestUpstream.start("up");
        log = CapturedLog.attach();
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        upstream.close();
        log.close();
    }

    /** {@code pinned} lists two certificates, {@code byca} the CA, {@code open} uses no mTLS; all on one port. */
    private void startMixedPort() throws Exception {
        gateway = builder()
                .api(pinned())
                .api(TykApi.keyless("byca", "/byca", upstream.url()).put("use_mutual_tls_auth", true)
                        .put("client_certificates", List.of("certs/ca.pem")))
                .api(TykApi.keyless("open", "/open", upstream.url()))
                .start();
    }

    private TykApi pinned() {
        return TykApi.keyless("pinned", "/pinned", upstream.url()).put("use_mutual_tls_auth", true)
                .put("client_certificates", List.of("certs/selfsigned.pem", "certs/client-expired.pem"));
    }

    private ProxyUnderTest.Builder builder() throws Exception {
        return ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .https(PemKeyPair.of(TestCerts.localhostPem(), TestCerts.localhostKey()))
                .filters(api -> {
                    RequestFilter mutualTls = auth.mutualTls(api, dir);
                    return mutualTls == null ? List.of() : List.of(mutualTls);
                });
    }

    private static SSLContext presenting(Path certPem, Path keyPem) throws Exception {
        return TestTls.presentingToTestCa(certPem, keyPem);
    }

    private HttpResponse<String> get(Version version, SSLContext tls, String path) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(version.client).sslContext(tls)
                .connectTimeout(Duration.ofSeconds(5)).build();
        URI uri = URI.create("https://127.0.0.1:" + gateway.port() + path);
        HttpResponse<String> response = client.send(Clients.request(uri).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(version.client, response.version());
        return response;
    }

    private static void assertRefused(String message, HttpResponse<String> response) {
        assertEquals(403, response.statusCode(), response.body());
        assertEquals("{\"error\": \"" + message + "\"}", response.body());
    }

    private static String fingerprint(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return ClientCertificates.fingerprint(
                    (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void listedCertificatePassesByFingerprintAndOnResumedSessions(Version version) throws Exception {
        startMixedPort();
        SSLContext tls = presenting(TestCerts.selfSignedPem(), TestCerts.selfSignedKey());
        assertEquals(200, get(version, tls, "/pinned/x").statusCode());
        // A second client of the same context resumes the TLS session: the certificate is still seen and checked.
        assertEquals(200, get(version, tls, "/pinned/y").statusCode());
        assertRefused("Certificate with SHA256 " + fingerprint(TestCerts.selfSignedPem()) + " not allowed",
                get(version, tls, "/byca/x"));
        assertEquals(2, upstream.requestCount());
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void certificateIssuedByAListedCaPasses(Version version) throws Exception {
        startMixedPort();
        SSLContext tls = presenting(TestCerts.clientPem(), TestCerts.clientKey());
        assertEquals(200, get(version, tls, "/byca/x").statusCode());
        assertRefused("Certificate with SHA256 " + fingerprint(TestCerts.clientPem()) + " not allowed",
                get(version, tls, "/pinned/x"));
        log.awaitLogged(Level.INFO, "api=pinned", "conn=", "refused: client certificate "
                + fingerprint(TestCerts.clientPem()).substring(0, 16) + " not allowed");
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void noCertificateIsRefusedByMutualTlsApisOnlyOnAMixedPort(Version version) throws Exception {
        startMixedPort();
        SSLContext tls = presenting(null, null);
        assertRefused("Client TLS certificate is required", get(version, tls, "/pinned/x"));
        assertRefused("Client TLS certificate is required", get(version, tls, "/byca/x"));
        assertEquals(200, get(version, tls, "/open/x").statusCode(), "an API without mTLS serves anyone");
        assertEquals(200, get(version, presenting(TestCerts.clientPem(), TestCerts.clientKey()), "/open/x")
                .statusCode(), "and takes no notice of a certificate");
        assertEquals(2, upstream.requestCount());
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void expiredCertificateIsRefusedWhetherListedOrIssuedByAListedCa(Version version) throws Exception {
        startMixedPort();
        SSLContext tls = presenting(TestCerts.expiredClientPem(), TestCerts.expiredClientKey());
        assertRefused("Certificate has expired", get(version, tls, "/pinned/x"));
        assertRefused("Certificate has expired", get(version, tls, "/byca/x"));
        assertEquals(0, upstream.requestCount());
    }

    @Test
    void curlPresentsItsCertificate() throws Exception {
        startMixedPort();
        String url = "https://127.0.0.1:" + gateway.port();
        String ca = TestCerts.caPem().toString();
        Curl.Result passed = Curl.run("-sS", "--http2", "--cacert", ca, "--cert", TestCerts.clientPem().toString(),
                "--key", TestCerts.clientKey().toString(), "-w", " %{http_code} %{http_version}", url + "/byca/x");
        assertEquals("up 200 2", passed.stdout(), passed.stderr());
        Curl.Result none = Curl.run("-sS", "--cacert", ca, "-w", " %{http_code}", url + "/byca/x");
        assertEquals("{\"error\": \"Client TLS certificate is required\"} 403", none.stdout(), none.stderr());
        Curl.Result wrong = Curl.run("-sS", "--http1.1", "--cacert", ca, "--cert",
                TestCerts.selfSignedPem().toString(), "--key", TestCerts.selfSignedKey().toString(), "-w",
                " %{http_code}", url + "/byca/x");
        assertEquals("{\"error\": \"Certificate with SHA256 " + fingerprint(TestCerts.selfSignedPem())
                + " not allowed\"} 403", wrong.stdout(), wrong.stderr());
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void portWhoseApisAllUseMutualTlsFailsTheHandshakeWithoutAnAcceptedCertificate(Version version)
            throws Exception {
        gateway = builder().api(pinned()).start();
        assertEquals(200, get(version, presenting(TestCerts.selfSignedPem(), TestCerts.selfSignedKey()), "/pinned/x")
                .statusCode());
        for (Path[] refused : new Path[][] {{null, null}, {TestCerts.clientPem(), TestCerts.clientKey()},
                {TestCerts.expiredClientPem(), TestCerts.expiredClientKey()}}) {
            assertThrows(IOException.class, () -> get(version, presenting(refused[0], refused[1]), "/pinned/x"));
        }
        assertEquals(1, upstream.requestCount());
    }
}
