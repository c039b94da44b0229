package dev.gateway.server;

import static dev.gateway.tcp.support.TcpApis.confAllowingTcp;
import static dev.gateway.tcp.support.TcpApis.confAllowingTls;
import static dev.gateway.tcp.support.TcpApis.tcpApi;
import static dev.gateway.tcp.support.TcpClients.PROXY_V1;
import static dev.gateway.tcp.support.TcpClients.line;
import static dev.gateway.tcp.support.TcpClients.tlsClient;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.http.support.Clients;
import dev.gateway.tcp.support.NamedEcho;
import dev.gateway.tcp.support.TlsEcho;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * {@code tcp} and {@code tls} APIs as the gateway wires them: which definitions it refuses at load, a reload that
 * closes a listener, Tyk's documented TLS example, and the PROXY protocol on an HTTP API's own port. How a TCP
 * service relays, terminates TLS and speaks the PROXY protocol is gateway-tcp's to test.
 */
class GatewayTcpApiTest extends GatewayFixture {

    @Test
    void reloadWithoutTheApiClosesItsListenerWhileOpenRelaysKeepFlowing() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        int port = Ports.freePort();
        folder.writeConf(confAllowingTcp(port)).writeApi("echo.json", tcpApi("echo", port, "127.0.0.1:" + echo.port()));
        Gateway gateway = startGateway(folder.conf);
        int bound = gateway.boundPort(port);

        try (Socket open = new Socket("127.0.0.1", bound)) {
            open.setSoTimeout(10_000);
            assertEquals("echo", line(open.getInputStream()));

            folder.removeApi("echo.json");
            gateway.reload();

            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", bound).close(),
                    "the port still accepts connections after its last API went away");
            open.getOutputStream().write("still here\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("still here", line(open.getInputStream()));
        }
        log.awaitLogged(Level.INFO, "api=echo", "closed: DONE", "11 bytes in");
    }

    @Test
    void httpApiWithProxyProtocolForwardsTheHeadersClient() throws Exception {
        int port = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("ports_whitelist").putObject("http").putArray("ports").add(port);
        ObjectNode api = ConfFolder.api("web", "/web/", upstream.url("/")).put("listen_port", port)
                .put("enable_proxy_protocol", true);
        folder.writeConf(conf).writeApi("web.json", api);
        Gateway gateway = startGateway(folder.conf);

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(port))) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write(PROXY_V1);
            client.getOutputStream().write("GET /web/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
        }
        assertEquals("203.0.113.7", upstream.takeRequest().header("X-Forwarded-For"));
    }

    // ---- Tyk's simplest TLS definition, from docs/tcp.md ---------------------------------------------------------

    /**
     * Tyk's TLS example as docs/tcp.md prints it, verbatim but for its listen port and upstream host, which become a
     * free port and a local TLS upstream, and {@code <cert-id>} when {@code certificate} is given.
     */
    private static String tlsExampleFromTheDocs(int listenPort, int upstreamPort, String certificate) {
        String text = DocsExamples.byFile("tcp.md", "tls.json").text();
        assertTrue(text.contains("30001") && text.contains("upstream:9191") && text.contains("<cert-id>"), text);
        String local = text.replace("30001", String.valueOf(listenPort))
                .replace("upstream:9191", "127.0.0.1:" + upstreamPort);
        return certificate == null ? local : local.replace("<cert-id>", certificate);
    }

    /** Allows {@code port} for tls, and skips verifying upstreams: the example's tls:// upstream has a test cert. */
    private ObjectNode confForTheTlsExample(int port) {
        return confAllowingTls(port).put("proxy_ssl_insecure_skip_verify", true);
    }

    @Test
    void tyksSimplestTlsDefinitionFromTheDocsRelaysWithARealCertificate() throws Exception {
        TlsEcho upstream = closer.later(new TlsEcho("tls-upstream"));
        int port = Ports.freePort();
        folder.copy(TestCerts.localhostPem(), "certs/server.pem").copy(TestCerts.localhostKey(), "certs/server.key")
                .writeConf(confForTheTlsExample(port))
                .writeApi("tls.json", tlsExampleFromTheDocs(port, upstream.port(), "certs/server.pem"));
        Gateway gateway = startGateway(folder.conf);

        try (SSLSocket client = tlsClient(gateway.boundPort(port), "localhost")) {
            assertEquals("tls-upstream", line(client.getInputStream()), "TLS to the gateway, TLS to the upstream");
            client.getOutputStream().write("through both\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("through both", line(client.getInputStream()));
        }
        log.assertLogged(Level.WARN, "tls.json", "/api_id", "'tls'");
    }

    @Test
    void tyksSimplestTlsDefinitionWithItsCertIdIsALoadErrorAndTheGatewayKeepsRunning() throws Exception {
        TlsEcho upstream = closer.later(new TlsEcho("tls-upstream"));
        int port = Ports.freePort();
        folder.writeConf(confForTheTlsExample(port))
                .writeApi("tls.json", tlsExampleFromTheDocs(port, upstream.port(), null));

        Gateway gateway = startGateway(folder.conf);

        log.assertLogged(Level.ERROR, "tls.json at /certificate/0", "'<cert-id>' is not a readable PEM file",
                "expected a path to a PEM file", "(x.pem and x.key) or in the same file");
        assertEquals(List.of(), gateway.snapshot().apis());
        assertTrue(Net.refuses(port), "port " + port + " serves an API whose certificate is unusable");
        assertEquals(200, Clients.get(client, url(gateway.gatewayPort(), "/hello")).statusCode());
    }

    // ---- definitions refused at load ---------------------------------------------------------------------------

    @Test
    void tcpApiWithoutListenPortIsNotServedAndNamed() throws Exception {
        ObjectNode api = tcpApi("portless", 0, "127.0.0.1:1");
        api.remove("listen_port");
        folder.writeConf(ConfFolder.tykConf()).writeApi("portless.json", api);

        Gateway gateway = startGateway(folder.conf);

        log.assertLogged(Level.ERROR, "portless.json", "/listen_port", "needs its own listen_port");
        assertEquals(0, gateway.snapshot().apis().size());
    }

    @Test
    void tcpApiOnTheGatewaysOwnPortIsRefused() throws Exception {
        int own = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("listen_port", own);
        folder.writeConf(conf).writeApi("clash.json", tcpApi("clash", own, "127.0.0.1:1"));

        Gateway gateway = startGateway(folder.conf);

        log.assertLogged(Level.ERROR, "clash.json", "cannot serve tcp", "the gateway's own port");
        assertEquals(0, gateway.snapshot().apis().size());
    }

    @Test
    void secondTcpApiOnAPortIsRefusedNamingTheFirst() throws Exception {
        int port = Ports.freePort();
        folder.writeConf(confAllowingTcp(port))
                .writeApi("a.json", tcpApi("a", port, "127.0.0.1:1"))
                .writeApi("b.json", tcpApi("b", port, "127.0.0.1:2"));

        startGateway(folder.conf);

        log.assertLogged(Level.ERROR, "b.json", "already serves API a");
    }

    @Test
    void portOutsideTheTcpWhitelistIsRefused() throws Exception {
        int port = Ports.freePort();
        folder.writeConf(ConfFolder.tykConf()).writeApi("out.json", tcpApi("out", port, "127.0.0.1:1"));

        startGateway(folder.conf);

        log.assertLogged(Level.ERROR, "out.json", "not allowed for tcp by ports_whitelist");
    }
}
