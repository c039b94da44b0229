package dev.gateway.tcp;

import static dev.gateway.tcp.support.TcpApis.confAllowingTcp;
import static dev.gateway.tcp.support.TcpApis.confAllowingTls;
import static dev.gateway.tcp.support.TcpApis.tcpApi;
import static dev.gateway.tcp.support.TcpApis.tlsApi;
import static dev.gateway.tcp.support.TcpClients.line;
import static dev.gateway.tcp.support.TcpClients.tlsClient;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.testing.TestTls;
import dev.gateway.tcp.support.NamedEcho;
import dev.gateway.tcp.support.TcpProxyUnderTest;
import dev.gateway.tcp.support.TlsEcho;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * TLS towards clients: a {@code tls} port terminates TLS and picks the API by SNI (exact, wildcard, default), with
 * client certificates where an API asks for them; a {@code tcp} port with domains routes by the SNI of a
 * ClientHello it passes through untouched.
 */
class TcpTlsTest extends TcpFixture {

    /** The {@code listen_port} the APIs are configured with. */
    private static final int PORT = 7001;

    @Test
    void tlsServicesShareAPortByExactWildcardAndDefaultSni() throws Exception {
        NamedEcho exact = closer.later(new NamedEcho("exact"));
        NamedEcho wildcard = closer.later(new NamedEcho("wildcard"));
        NamedEcho fallback = closer.later(new NamedEcho("default"));
        folder.copy(TestCerts.examplePem(), "certs/example.pem")
                .copy(TestCerts.localhostPem(), "certs/localhost.pem")
                .copy(TestCerts.localhostKey(), "certs/localhost.key")
                .writeConf(confAllowingTls(PORT))
                .writeApi("exact.json", tlsApi("exact", PORT, "api.example.com", "certs/example.pem",
                        "127.0.0.1:" + exact.port()))
                .writeApi("wild.json", tlsApi("wild", PORT, "*.wild.example.com", "certs/example.pem",
                        "127.0.0.1:" + wildcard.port()))
                .writeApi("default.json", tlsApi("default", PORT, "", "certs/localhost.pem",
                        "127.0.0.1:" + fallback.port()));
        TcpProxyUnderTest gateway = start();
        int bound = gateway.boundPort(PORT);

        for (String[] expected : new String[][] {{"api.example.com", "exact"}, {"eu.wild.example.com", "wildcard"},
                {"localhost", "default"}}) {
            try (SSLSocket client = tlsClient(bound, expected[0])) {
                assertEquals(expected[1], line(client.getInputStream()), "SNI " + expected[0]);
                client.getOutputStream().write("over tls\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("over tls", line(client.getInputStream()));
            }
        }
    }

    @Test
    void unknownSniWithoutADefaultServiceIsClosedAndLogged() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        folder.copy(TestCerts.examplePem(), "certs/example.pem")
                .writeConf(confAllowingTls(PORT))
                .writeApi("only.json", tlsApi("only", PORT, "api.example.com", "certs/example.pem",
                        "127.0.0.1:" + echo.port()));
        TcpProxyUnderTest gateway = start();

        assertThrows(IOException.class, () -> {
            try (SSLSocket client = tlsClient(gateway.boundPort(PORT), "other.test")) {
                assertEquals(-1, client.getInputStream().read());
                throw new IOException("closed after the handshake");
            }
        });
        log.awaitLogged(Level.INFO, "no API for SNI 'other.test' on port");
    }

    @Test
    void plainBytesOnATlsPortAreClosedAndLogged() throws Exception {
        folder.copy(TestCerts.examplePem(), "certs/example.pem")
                .writeConf(confAllowingTls(PORT))
                .writeApi("only.json", tlsApi("only", PORT, "", "certs/example.pem", "127.0.0.1:1"));
        TcpProxyUnderTest gateway = start();

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = client.getInputStream();
            while (in.read() != -1) {
                // a TLS alert, then the end
            }
        }
        log.awaitLogged(Level.INFO, "TLS handshake failed on port");
    }

    @Test
    void tcpApisWithDomainsRouteBySniWithoutTerminatingTls() throws Exception {
        TlsEcho localhost = closer.later(new TlsEcho("localhost-upstream"));
        TlsEcho other = closer.later(new TlsEcho("other-upstream"));
        // No certificate anywhere in the configuration: TLS is between the client and the upstream.
        folder.writeConf(confAllowingTcp(PORT))
                .writeApi("a.json", tcpApi("a", PORT, "127.0.0.1:" + localhost.port()).put("domain", "localhost"))
                .writeApi("b.json", tcpApi("b", PORT, "127.0.0.1:" + other.port()).put("domain", "*.example.com"));
        TcpProxyUnderTest gateway = start();

        try (SSLSocket client = tlsClient(gateway.boundPort(PORT), "localhost")) {
            assertEquals("localhost-upstream", line(client.getInputStream()));
            client.getOutputStream().write("end to end\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("end to end", line(client.getInputStream()));
        }
        // The wildcard's upstream serves the localhost certificate, which the client cannot accept for this name:
        // proof that the handshake is the upstream's, passed through untouched.
        assertThrows(IOException.class, () -> tlsClient(gateway.boundPort(PORT), "api.example.com").close());
        log.awaitLogged(Level.INFO, "api=b", "closed:");
        assertThrows(IOException.class, () -> tlsClient(gateway.boundPort(PORT), "unknown.test").close());
        log.awaitLogged(Level.INFO, "no API for SNI 'unknown.test' on port");
    }

    /** A TLS client trusting the test CA that presents {@code certPem}/{@code keyPem} (PKCS#8), or nothing. */
    private static SSLSocket mutualTlsClient(int port, Path certPem, Path keyPem) throws Exception {
        SSLSocket socket = (SSLSocket) TestTls.presentingToTestCa(certPem, keyPem).getSocketFactory()
                .createSocket("127.0.0.1", port);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName("api.example.com")));
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    @Test
    void mutualTlsAcceptsOnlyListedClientCertificates() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        ObjectNode api = tlsApi("mtls", PORT, "", "certs/example.pem", "127.0.0.1:" + echo.port())
                .put("use_mutual_tls_auth", true);
        api.putArray("client_certificates").add("certs/client.pem");
        folder.copy(TestCerts.examplePem(), "certs/example.pem")
                .copy(TestCerts.selfSignedPem(), "certs/client.pem")
                .writeConf(confAllowingTls(PORT))
                .writeApi("mtls.json", api);
        TcpProxyUnderTest gateway = start();
        int bound = gateway.boundPort(PORT);

        try (SSLSocket listed = mutualTlsClient(bound, TestCerts.selfSignedPem(), TestCerts.selfSignedKey())) {
            assertEquals("echo", line(listed.getInputStream()));
        }
        for (Path[] refused : new Path[][] {{null, null}, {TestCerts.localhostPem(), TestCerts.localhostKey()}}) {
            // Without a certificate, or with one the API does not list (though issued by a known CA).
            assertThrows(IOException.class, () -> {
                try (SSLSocket client = mutualTlsClient(bound, refused[0], refused[1])) {
                    if (client.getInputStream().read() == -1) {
                        throw new IOException("closed after the handshake");
                    }
                }
            });
        }
        assertEquals(1, echo.acceptedCount(), "only the listed client reached the upstream");
    }
}
