package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.testing.TestTls;
import dev.gateway.http.support.Clients;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Bytes that are not a TLS ClientHello, sent to an HTTPS port and to a {@code tls} TCP port, connection after
 * connection, as anyone who can open a socket may. Each connection is closed; the log says so in a line, with no
 * stack trace, and lines of the same kind are rate-limited, so a flood cannot fill the disk.
 */
class TlsGarbageTest extends GatewayFixture {

    private static final int CONNECTIONS = 200;
    /** Garbage of three kinds: plain text, a TLS record header with junk inside, and a ClientHello cut short. */
    private static final byte[][] GARBAGE = {
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
        {0x16, 0x03, 0x01, 0x00, 0x10, 1, 0, 0, 12, 0x03, 0x03, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9},
        {0x16, 0x03, 0x01, 0x00, 0x05, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f},
    };
    /** A handful of lines, where one stack trace alone costs about 2 KB. */
    private static final long MAX_LOG_CHARS = 4_096;

    /** The gateway's HTTPS port and a {@code tls} TCP API's port. */
    private record TlsPorts(Gateway gateway, int tlsPort) {
    }

    private TlsPorts startTlsPorts() throws Exception {
        int tlsPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        folder.serveTls(conf).put("enable_http2", true);
        conf.putObject("ports_whitelist").putObject("tls").putArray("ports").add(tlsPort);
        ObjectNode tls = ConfFolder.JSON.createObjectNode();
        tls.put("api_id", "secure").put("protocol", "tls").put("listen_port", tlsPort);
        tls.putArray("certificate").add("certs/localhost.pem");
        tls.putObject("proxy").put("target_url", "tcp://127.0.0.1:" + Ports.freePort());
        folder.writeConf(conf)
                .writeApi("api.json", ConfFolder.api("api", "/api/", upstream.url("/")))
                .writeApi("secure.json", tls);
        return new TlsPorts(startGateway(folder.conf), tlsPort);
    }

    @Test
    void garbageInsteadOfClientHelloCostsAFewLinesWithoutStackTraces() throws Exception {
        TlsPorts ports = startTlsPorts();
        Gateway gateway = ports.gateway();
        int tlsPort = ports.tlsPort();
        String good = "https://localhost:" + gateway.gatewayPort() + "/api/ok";
        assertEquals(200, Clients.get(Clients.newClient(TestTls.trustingTestCa()), good).statusCode());
        long before = log.chars();

        for (int i = 0; i < CONNECTIONS; i++) {
            byte[] garbage = GARBAGE[i % GARBAGE.length];
            sendGarbage(gateway.gatewayPort(), garbage);
            sendGarbage(tlsPort, garbage);
        }

        log.awaitLogged(Level.INFO, "TLS handshake failed", "port " + gateway.gatewayPort());
        log.awaitLogged(Level.INFO, "TLS handshake failed", "port " + tlsPort);
        assertEquals(200, Clients.get(Clients.newClient(TestTls.trustingTestCa()), good).statusCode());
        long logged = log.chars() - before;
        assertTrue(logged <= MAX_LOG_CHARS, 2 * CONNECTIONS + " garbage connections cost " + logged
                + " chars of log:\n" + String.join("\n", log.lines()));
    }

    /** A client that connects and never sends its ClientHello is closed at the handshake timeout, 10 s, in a line. */
    @Test
    void aClientThatNeverSendsAClientHelloIsClosedAtTheHandshakeTimeout() throws Exception {
        TlsPorts ports = startTlsPorts();
        long start = System.nanoTime();
        try (Socket https = new Socket("127.0.0.1", ports.gateway().gatewayPort());
                Socket tcp = new Socket("127.0.0.1", ports.tlsPort())) {
            https.setSoTimeout(30_000);
            tcp.setSoTimeout(30_000);
            assertEquals(-1, https.getInputStream().read());
            assertEquals(-1, tcp.getInputStream().read());
        }
        long closedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(closedAfter >= 9_500 && closedAfter < 15_000, "closed after " + closedAfter + " ms");
        log.awaitLogged(Level.INFO, "no ClientHello", "port " + ports.gateway().gatewayPort());
        log.awaitLogged(Level.INFO, "no ClientHello", "port " + ports.tlsPort());
    }

    /** Writes the garbage and waits until the gateway closes the connection. */
    private static void sendGarbage(int port, byte[] garbage) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(garbage);
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            while (in.read() >= 0) {
                // drain whatever the gateway answers (an alert) until it closes
            }
        } catch (java.net.SocketException e) {
            // a reset is a close too
        }
    }
}
