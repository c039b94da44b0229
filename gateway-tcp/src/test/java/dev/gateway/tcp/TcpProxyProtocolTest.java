package dev.gateway.tcp;

import static dev.gateway.tcp.support.TcpApis.confAllowingTcp;
import static dev.gateway.tcp.support.TcpApis.confAllowingTls;
import static dev.gateway.tcp.support.TcpApis.tcpApi;
import static dev.gateway.tcp.support.TcpApis.tlsApi;
import static dev.gateway.tcp.support.TcpClients.PROXY_V1;
import static dev.gateway.tcp.support.TcpClients.line;
import static dev.gateway.tcp.support.TcpClients.proxyV2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.net.ProxyProtocol;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.testing.TestTls;
import dev.gateway.tcp.support.NamedEcho;
import dev.gateway.tcp.support.TcpProxyUnderTest;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * The PROXY protocol both ways: {@code enable_proxy_protocol} reads a v1 or v2 header before anything else (TLS
 * included) and names the client it gives; {@code proxy.send_proxy_protocol} writes one to the upstream first.
 */
class TcpProxyProtocolTest extends TcpFixture {

    /** The {@code listen_port} the APIs are configured with. */
    private static final int PORT = 7001;

    private TcpProxyUnderTest proxyProtocolEcho(NamedEcho echo) throws Exception {
        ObjectNode api = tcpApi("pp", PORT, "127.0.0.1:" + echo.port()).put("enable_proxy_protocol", true);
        folder.writeConf(confAllowingTcp(PORT)).writeApi("pp.json", api);
        return start();
    }

    @Test
    void proxyProtocolV1And2NameTheClientInTheLog() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        TcpProxyUnderTest gateway = proxyProtocolEcho(echo);

        for (byte[] header : List.of(PROXY_V1, proxyV2())) {
            try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
                client.setSoTimeout(10_000);
                client.getOutputStream().write(header);
                client.getOutputStream().write("hi\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("echo", line(client.getInputStream()));
                assertEquals("hi", line(client.getInputStream()), "the bytes after the header pass untouched");
            }
        }
        log.awaitLogged(Level.INFO, "api=pp client=/203.0.113.7:51000", "closed:");
        log.awaitLogged(Level.INFO, "api=pp client=/198.51.100.9:42000", "closed:");
    }

    @Test
    void malformedProxyHeaderIsClosedAndLogged() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        TcpProxyUnderTest gateway = proxyProtocolEcho(echo);

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, client.getInputStream().read());
        }
        log.awaitLogged(Level.INFO, "malformed PROXY protocol header");
    }

    /** A header sent a byte every 200 ms would take 10 s; the header timeout (5 s) runs from the connect. */
    @Test
    void proxyHeaderTrickledAByteAtATimeIsClosedAtTheHeaderTimeout() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        TcpProxyUnderTest gateway = proxyProtocolEcho(echo);
        byte[] header = PROXY_V1;

        long start = System.nanoTime();
        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            for (byte b : header) {
                client.getOutputStream().write(b);
                client.getOutputStream().flush();
                Thread.sleep(200);
                if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(ProxyProtocol.HEADER_TIMEOUT_SECONDS + 5)) {
                    break;
                }
            }
        } catch (SocketException closed) {
            // The gateway closed the connection while the header trickled: what this test expects.
        }
        long closedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        long timeout = TimeUnit.SECONDS.toMillis(ProxyProtocol.HEADER_TIMEOUT_SECONDS);
        assertTrue(closedAfter >= timeout - 200 && closedAfter < timeout + 3_000,
                "closed after " + closedAfter + " ms; the header timeout is " + timeout + " ms");
        log.awaitLogged(Level.INFO, "sent no PROXY protocol header within");
        assertEquals(0, echo.acceptedCount(), "the upstream saw a connection");
    }

    @Test
    void proxyHeaderIsReadBeforeTlsSoSniStillRoutes() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        ObjectNode api = tlsApi("sni", PORT, "api.example.com", "certs/example.pem", "127.0.0.1:" + echo.port())
                .put("enable_proxy_protocol", true);
        folder.copy(TestCerts.examplePem(), "certs/example.pem").writeConf(confAllowingTls(PORT))
                .writeApi("sni.json", api);
        TcpProxyUnderTest gateway = start();

        try (Socket raw = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            raw.getOutputStream().write(PROXY_V1);
            SSLSocket tls = (SSLSocket) TestTls.trustingTestCa().getSocketFactory()
                    .createSocket(raw, "api.example.com", raw.getPort(), true);
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName("api.example.com")));
            tls.setSSLParameters(parameters);
            tls.setSoTimeout(10_000);
            assertEquals("echo", line(tls.getInputStream()));
            tls.close();
        }
        log.awaitLogged(Level.INFO, "api=sni client=/203.0.113.7:51000");
    }

    @Test
    void sendProxyProtocolTellsTheUpstreamTheRealClient() throws Exception {
        ServerSocket v1Upstream = closer.later(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        ServerSocket v2Upstream = closer.later(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        int v1Port = PORT;
        int v2Port = PORT + 1;
        ObjectNode v1 = tcpApi("send-v1", v1Port, "127.0.0.1:" + v1Upstream.getLocalPort());
        ((ObjectNode) v1.get("proxy")).put("send_proxy_protocol", "v1");
        ObjectNode v2 = tcpApi("send-v2", v2Port, "127.0.0.1:" + v2Upstream.getLocalPort());
        ((ObjectNode) v2.get("proxy")).put("send_proxy_protocol", "v2");
        folder.writeConf(confAllowingTcp(v1Port, v2Port)).writeApi("v1.json", v1).writeApi("v2.json", v2);
        TcpProxyUnderTest gateway = start();

        // The clients only connect: the header must reach the upstream before, and without, any client byte.
        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(v1Port));
                Socket server = v1Upstream.accept()) {
            server.setSoTimeout(10_000);
            assertEquals("PROXY TCP4 127.0.0.1 127.0.0.1 " + client.getLocalPort() + " " + gateway.boundPort(v1Port)
                    + "\r", line(server.getInputStream()));
        }
        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(v2Port));
                Socket server = v2Upstream.accept()) {
            server.setSoTimeout(10_000);
            InputStream in = server.getInputStream();
            assertArrayEquals(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
                    0x21, 0x11, 0x00, 0x0C}, in.readNBytes(16), "v2 signature, PROXY over TCP4, 12 address bytes");
            byte[] addresses = in.readNBytes(12);
            assertEquals(client.getLocalPort(), ((addresses[8] & 0xff) << 8) | (addresses[9] & 0xff));
        }
    }

    @Test
    void sendProxyProtocolToATlsUpstreamGoesInTheClearBeforeTheHandshake() throws Exception {
        ServerSocket tlsUpstream = closer.later(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        ObjectNode api = tcpApi("send-tls", PORT, "tls://127.0.0.1:" + tlsUpstream.getLocalPort());
        ((ObjectNode) api.get("proxy")).put("send_proxy_protocol", "v1");
        folder.writeConf(confAllowingTcp(PORT)).writeApi("send-tls.json", api);
        TcpProxyUnderTest gateway = start();

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT));
                Socket server = tlsUpstream.accept()) {
            server.setSoTimeout(10_000);
            assertEquals("PROXY TCP4 127.0.0.1 127.0.0.1 " + client.getLocalPort() + " " + gateway.boundPort(PORT)
                    + "\r", line(server.getInputStream()));
            assertEquals(0x16, server.getInputStream().read(), "a TLS handshake record (the ClientHello) follows");
        }
    }
}
