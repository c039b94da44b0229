package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.CapturedLog;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.testing.TestTls;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.Http1;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.TestUpstream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS listeners: the gateway's own port under {@code use_ssl}, SNI between certificates, and APIs with
 * {@code protocol: https} on their own port. Certificate paths are relative, resolved against the folder of
 * {@code tyk.conf}, so the test certificates are copied there.
 */
class GatewayHttpsTest {

    /** DNS name only in {@code localhost.pem}. */
    private static final String LOCALHOST = "localhost";
    /** DNS name only in {@code example.pem}, which also covers {@code *.wild.example.com}. */
    private static final String EXAMPLE = "api.example.com";

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();
    private final HttpClient client = Clients.newClient(TestTls.trustingTestCa());
    private ConfFolder folder;
    private CapturedLog log;
    private TestUpstream upstream;

    @BeforeEach
    void setUp() throws Exception {
        folder = new ConfFolder(dir);
        folder.copy(TestCerts.localhostPem(), "certs/localhost.pem")
                .copy(TestCerts.localhostKey(), "certs/localhost.key")
                .copy(TestCerts.examplePem(), "certs/example.pem")
                .copy(TestCerts.selfSignedPem(), "certs/selfsigned.pem")
                .copy(TestCerts.selfSignedKey(), "certs/selfsigned.key");
        log = closer.later(CapturedLog.attach());
        upstream = closer.later(TestUpstream.namingPaths("up"));
    }

    private static ObjectNode useSsl(ObjectNode conf) {
        ObjectNode options = conf.putObject("http_server_options");
        options.put("use_ssl", true);
        options.putArray("certificates").addObject()
                .put("domain_name", LOCALHOST)
                .put("cert_file", "certs/localhost.pem")
                .put("key_file", "certs/localhost.key");
        return options;
    }

    /** The DNS names of the certificate the server chose for {@code sniName}, after a handshake trusting the CA. */
    private List<String> servedNames(int port, String sniName) throws IOException, GeneralSecurityException {
        try (RawClient connection = connectTls(port, sniName)) {
            return TestTls.dnsNames(((SSLSocket) connection.socket()).getSession().getPeerCertificates()[0]);
        }
    }

    /** A TLS connection trusting only the test CA, with a fresh context: no session resumed across SNI names. */
    private static RawClient connectTls(int port, String sniName) throws IOException {
        return RawClient.connectTls(port, sniName, TestTls.trustingTestCa());
    }

    private Gateway startGateway(Path conf) throws Exception {
        return GatewayFixture.startGateway(closer, conf);
    }

    @Test
    void useSslServesHttpsOnTheGatewayPort() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        useSsl(conf);
        folder.writeConf(conf).writeApi("svc.json", ConfFolder.api("svc", "/svc/", upstream.url("/")));

        Gateway gateway = startGateway(folder.conf);
        String base = "https://localhost:" + gateway.gatewayPort();

        assertEquals("https", gateway.ports().get(gateway.gatewayPort()));
        HttpResponse<String> hello = Clients.get(client, base + "/hello");
        assertEquals(200, hello.statusCode());
        assertTrue(hello.body().contains("\"status\": \"pass\""), hello.body());
        HttpResponse<String> proxied = Clients.get(client, base + "/svc/x");
        assertEquals(200, proxied.statusCode());
        assertEquals(upstream.bodyFor("/x"), proxied.body());
    }

    @Test
    void useSslPortDoesNotSpeakCleartext() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        useSsl(conf);
        folder.writeConf(conf);

        Gateway gateway = startGateway(folder.conf);

        assertThrows(IOException.class,
                () -> Clients.get(Clients.newClient(), "http://127.0.0.1:" + gateway.gatewayPort() + "/hello"));
    }

    @Test
    void sniPicksBetweenCertificatesAndSslCertificates() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        useSsl(conf).putArray("ssl_certificates").add("certs/example.pem");
        folder.writeConf(conf).writeApi("svc.json", ConfFolder.api("svc", "/svc/", upstream.url("/")));

        Gateway gateway = startGateway(folder.conf);
        int port = gateway.gatewayPort();

        assertEquals(List.of(LOCALHOST), servedNames(port, LOCALHOST));
        assertEquals(List.of(EXAMPLE, "*.wild.example.com"), servedNames(port, EXAMPLE));
        assertEquals(List.of(EXAMPLE, "*.wild.example.com"), servedNames(port, "deep.wild.example.com"));
        // No SNI (an IP literal) or an unknown name: the first certificate is the default.
        assertEquals(List.of(LOCALHOST), servedNames(port, null));
        assertEquals(List.of(LOCALHOST), servedNames(port, "unknown.test"));
        try (RawClient connection = connectTls(port, EXAMPLE)) {
            Http1.Response response = connection.get("/svc/by-sni", "Host: " + EXAMPLE);
            assertEquals(200, response.status());
            assertEquals(upstream.bodyFor("/by-sni"), response.bodyText());
        }
    }

    @Test
    void httpsApiOnItsOwnPortServesWithItsCertificates() throws Exception {
        int ownPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("ports_whitelist").putObject("https").putArray("ports").add(ownPort);
        ObjectNode api = ConfFolder.api("secure", "/secure/", upstream.url("/")).put("listen_port", ownPort)
                .put("protocol", "https");
        api.putArray("certificates").add("certs/localhost.pem");
        folder.writeConf(conf).writeApi("secure.json", api);

        Gateway gateway = startGateway(folder.conf);

        assertEquals("https", gateway.ports().get(ownPort));
        assertEquals("http", gateway.ports().get(gateway.gatewayPort()));
        HttpResponse<String> response = Clients.get(client, "https://localhost:" + ownPort + "/secure/x");
        assertEquals(200, response.statusCode());
        assertEquals(upstream.bodyFor("/x"), response.body());
        assertEquals(404, Clients.get(Clients.newClient(), "http://127.0.0.1:" + gateway.gatewayPort() + "/secure/x")
                .statusCode());
    }

    @Test
    void singularCertificateAliasIsAccepted() throws Exception {
        int ownPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("ports_whitelist").putObject("https").putArray("ports").add(ownPort);
        ObjectNode api = ConfFolder.api("docs", "/docs/", upstream.url("/")).put("listen_port", ownPort)
                .put("protocol", "https");
        // Tyk's documentation spells it "certificate", one string.
        api.put("certificate", "certs/example.pem");
        folder.writeConf(conf).writeApi("docs.json", api);

        startGateway(folder.conf);

        assertEquals(List.of(EXAMPLE, "*.wild.example.com"), servedNames(ownPort, EXAMPLE));
        try (RawClient connection = connectTls(ownPort, EXAMPLE)) {
            assertEquals(200, connection.get("/docs/y", "Host: " + EXAMPLE).status());
        }
    }

    @Test
    void clientTrustingOnlyTheCaRejectsASelfSignedCertificate() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        ObjectNode options = conf.putObject("http_server_options");
        options.put("use_ssl", true);
        options.putArray("ssl_certificates").add("certs/selfsigned.pem");
        folder.writeConf(conf);

        Gateway gateway = startGateway(folder.conf);

        assertThrows(SSLHandshakeException.class,
                () -> Clients.get(client, "https://localhost:" + gateway.gatewayPort() + "/hello"));
    }

    @Test
    void httpsApiWithoutCertificatesIsNotServedWhileTheOthersAre() throws Exception {
        int barePort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("disable_ports_whitelist", true);
        folder.writeConf(conf)
                .writeApi("bare.json", ConfFolder.api("bare", "/bare/", upstream.url("/")).put("listen_port", barePort)
                        .put("protocol", "https"))
                .writeApi("fine.json", ConfFolder.api("fine", "/fine/", upstream.url("/")));

        Gateway gateway = startGateway(folder.conf);

        assertEquals(200, Clients.get(Clients.newClient(), "http://127.0.0.1:" + gateway.gatewayPort() + "/fine/")
                .statusCode());
        assertTrue(Net.refuses(barePort), "port " + barePort + " has no certificate");
        log.assertLogged(Level.ERROR, "[bare]", String.valueOf(barePort), "no certificate");
    }

    @Test
    void httpsApiWhoseCertificateIsMissingIsNotServedWhileTheOthersAre() throws Exception {
        int brokenPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("disable_ports_whitelist", true);
        ObjectNode broken = ConfFolder.api("broken", "/broken/", upstream.url("/")).put("listen_port", brokenPort)
                .put("protocol", "https");
        broken.putArray("certificates").add("certs/missing.pem");
        folder.writeConf(conf)
                .writeApi("broken.json", broken)
                .writeApi("fine.json", ConfFolder.api("fine", "/fine/", upstream.url("/")));

        Gateway gateway = startGateway(folder.conf);

        assertEquals(200, Clients.get(Clients.newClient(), "http://127.0.0.1:" + gateway.gatewayPort() + "/fine/")
                .statusCode());
        assertTrue(Net.refuses(brokenPort), "port " + brokenPort + " has no usable certificate");
        log.assertLogged(Level.ERROR, "broken.json", "/certificates/0", "missing.pem", "does not exist");
    }
}
