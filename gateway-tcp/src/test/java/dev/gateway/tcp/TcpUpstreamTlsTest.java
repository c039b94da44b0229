package dev.gateway.tcp;

import static dev.gateway.tcp.support.TcpApis.confAllowingTcp;
import static dev.gateway.tcp.support.TcpApis.tcpApi;
import static dev.gateway.tcp.support.TcpClients.line;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.tcp.support.TcpProxyUnderTest;
import dev.gateway.tcp.support.TlsEcho;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * TLS towards upstreams ({@code tls://} targets): the upstream's key checked against {@code pinned_public_keys},
 * and the client certificate of {@code upstream_certificates} presented to upstreams that require one.
 */
class TcpUpstreamTlsTest extends TcpFixture {

    /** The {@code listen_port} the APIs are configured with. */
    private static final int PORT = 7001;

    /** The pin of the localhost test certificate: base64 SHA-256 of its SubjectPublicKeyInfo. */
    private static String localhostPin() throws Exception {
        try (InputStream pem = Files.newInputStream(TestCerts.localhostPem())) {
            Certificate certificate =
                    CertificateFactory.getInstance("X.509").generateCertificate(pem);
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(certificate.getPublicKey().getEncoded());
            return Base64.getEncoder().encodeToString(digest);
        }
    }

    private static ObjectNode pinnedTlsUpstreamApi(String id, int port, TlsEcho upstream, String pins) {
        ObjectNode api = tcpApi(id, port, "tls://127.0.0.1:" + upstream.port());
        ((ObjectNode) api.get("proxy")).putObject("transport").put("ssl_insecure_skip_verify", true);
        api.putObject("pinned_public_keys").put("*", pins);
        return api;
    }

    @Test
    void tlsUpstreamWhoseKeyMatchesAPinIsRelayed() throws Exception {
        TlsEcho upstream = closer.later(new TlsEcho("pinned"));
        folder.writeConf(confAllowingTcp(PORT))
                .writeApi("pin.json", pinnedTlsUpstreamApi("pin", PORT, upstream, "AAAA, " + localhostPin()));
        TcpProxyUnderTest gateway = start();

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            client.setSoTimeout(10_000);
            assertEquals("pinned", line(client.getInputStream()), "plain to the gateway, TLS to the upstream");
            client.getOutputStream().write("secret\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("secret", line(client.getInputStream()));
        }
    }

    @Test
    void tlsUpstreamWhoseKeyMatchesNoPinIsRefused() throws Exception {
        TlsEcho upstream = closer.later(new TlsEcho("impostor"));
        folder.writeConf(confAllowingTcp(PORT))
                .writeApi("pin.json", pinnedTlsUpstreamApi("pin", PORT, upstream,
                        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
        TcpProxyUnderTest gateway = start();

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            client.setSoTimeout(10_000);
            assertEquals(-1, client.getInputStream().read(), "nothing of the upstream reaches the client");
        }
        log.awaitLogged(Level.WARN, "api=pin", "matches no pinned key");
    }

    @Test
    void upstreamCertificatesArePresentedToUpstreamsThatRequireThem() throws Exception {
        TlsEcho upstream = closer.later(new TlsEcho("mutual", true));
        int with = PORT;
        int without = PORT + 1;
        ObjectNode presenting = tcpApi("presenting", with, "tls://127.0.0.1:" + upstream.port());
        ((ObjectNode) presenting.get("proxy")).putObject("transport").put("ssl_insecure_skip_verify", true);
        presenting.putObject("upstream_certificates").put("*", "certs/client.pem");
        ObjectNode bare = tcpApi("bare", without, "tls://127.0.0.1:" + upstream.port());
        ((ObjectNode) bare.get("proxy")).putObject("transport").put("ssl_insecure_skip_verify", true);
        folder.copy(TestCerts.selfSignedPem(), "certs/client.pem")
                .copy(TestCerts.selfSignedKey(), "certs/client.key")
                .writeConf(confAllowingTcp(with, without))
                .writeApi("presenting.json", presenting)
                .writeApi("bare.json", bare);
        TcpProxyUnderTest gateway = start();

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(with))) {
            client.setSoTimeout(10_000);
            assertEquals("mutual", line(client.getInputStream()));
        }
        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(without))) {
            client.setSoTimeout(10_000);
            assertEquals(-1, client.getInputStream().read(), "the upstream refuses a gateway without a certificate");
        }
        // Under TLS 1.3 the upstream refuses the missing certificate after the gateway's side of the handshake
        // is done, so the relay has started and ends with the upstream's alert.
        log.awaitLogged(Level.INFO, "api=bare", "closed: ERROR");
    }
}
