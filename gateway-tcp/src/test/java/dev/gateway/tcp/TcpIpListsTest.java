package dev.gateway.tcp;

import static dev.gateway.tcp.support.TcpApis.confAllowingTcp;
import static dev.gateway.tcp.support.TcpApis.confAllowingTls;
import static dev.gateway.tcp.support.TcpApis.tcpApi;
import static dev.gateway.tcp.support.TcpApis.tlsApi;
import static dev.gateway.tcp.support.TcpClients.READ_TIMEOUT_MILLIS;
import static dev.gateway.tcp.support.TcpClients.line;
import static dev.gateway.tcp.support.TcpClients.tlsClient;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.tcp.support.NamedEcho;
import dev.gateway.tcp.support.TcpProxyUnderTest;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * {@code allowed_ips} and {@code blacklisted_ips} on {@code tcp} and {@code tls} APIs: a client the lists refuse is
 * closed before any upstream connect, with one log line naming the API, the client and the list. The client is
 * the one a PROXY header names, when the API reads one; on a {@code tls} port, the lists of the API that SNI chose.
 */
class TcpIpListsTest extends TcpFixture {

    /** The {@code listen_port} the APIs are configured with. */
    private static final int PORT = 7001;

    /** A PROXY v1 header for TCP over IPv4 from 10.1.2.3:51000. */
    private static final byte[] PROXY_FROM_10_1_2_3 = "PROXY TCP4 10.1.2.3 127.0.0.1 51000 6380\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    private static final String REFUSED = "refused: access from this IP has been disallowed";

    private static ObjectNode withIps(ObjectNode api, String field, String... entries) {
        ArrayNode list = api.putArray(field);
        for (String entry : entries) {
            list.add(entry);
        }
        return api;
    }

    @Test
    void allowListAdmitsAListedClientAndRefusesOthersBeforeAnyUpstreamConnect() throws Exception {
        NamedEcho admitting = closer.later(new NamedEcho("admitting"));
        NamedEcho refusing = closer.later(new NamedEcho("refusing"));
        folder.writeConf(confAllowingTcp(PORT, PORT + 1))
                .writeApi("in.json", withIps(tcpApi("in", PORT, "127.0.0.1:" + admitting.port()),
                        "allowed_ips", "127.0.0.1/32"))
                .writeApi("out.json", withIps(tcpApi("out", PORT + 1, "127.0.0.1:" + refusing.port()),
                        "allowed_ips", "10.0.0.0/8"));
        TcpProxyUnderTest gateway = start();

        assertRelayed(gateway.boundPort(PORT), "admitting");
        int refusedPort;
        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT + 1))) {
            refusedPort = client.getLocalPort();
            assertClosedWithoutAByte(client);
        }

        log.awaitLogged(Level.INFO, "api=out client=/127.0.0.1:" + refusedPort + " conn=",
                REFUSED + " (allowed_ips)");
        assertEquals(1, log.find(Level.INFO, REFUSED).size(), "one line per refused connection");
        assertEquals(0, refusing.acceptedCount(), "the refused client's upstream saw a connection");
        assertEquals(1, admitting.acceptedCount());
    }

    @Test
    void blockListRefusesAListedClientAndAdmitsOthers() throws Exception {
        NamedEcho blocking = closer.later(new NamedEcho("blocking"));
        NamedEcho admitting = closer.later(new NamedEcho("admitting"));
        folder.writeConf(confAllowingTcp(PORT, PORT + 1))
                .writeApi("block.json", withIps(tcpApi("block", PORT, "127.0.0.1:" + blocking.port()),
                        "blacklisted_ips", "192.0.2.1", "127.0.0.1"))
                .writeApi("other.json", withIps(tcpApi("other", PORT + 1, "127.0.0.1:" + admitting.port()),
                        "blacklisted_ips", "10.0.0.0/8"));
        TcpProxyUnderTest gateway = start();

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            assertClosedWithoutAByte(client);
        }
        assertRelayed(gateway.boundPort(PORT + 1), "admitting");

        log.awaitLogged(Level.INFO, "api=block client=/127.0.0.1:", REFUSED + " (blacklisted_ips)");
        assertEquals(0, blocking.acceptedCount(), "the blocked client's upstream saw a connection");
    }

    /** Both lists set: the client must be in the allow list and out of the block list. */
    @Test
    void blockListRefusesAClientTheAllowListAdmits() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        ObjectNode api = withIps(tcpApi("both", PORT, "127.0.0.1:" + echo.port()), "allowed_ips", "127.0.0.0/8");
        folder.writeConf(confAllowingTcp(PORT)).writeApi("both.json", withIps(api, "ip_blacklist", "127.0.0.1"));
        TcpProxyUnderTest gateway = start();

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            assertClosedWithoutAByte(client);
        }

        log.awaitLogged(Level.INFO, "api=both", REFUSED + " (blacklisted_ips)");
        assertEquals(0, echo.acceptedCount());
    }

    /** The load balancer in front connects from 127.0.0.1; the list judges the client its header names. */
    @Test
    void proxyProtocolClientIsCheckedInsteadOfTheSocketPeer() throws Exception {
        NamedEcho admitting = closer.later(new NamedEcho("admitting"));
        NamedEcho refusing = closer.later(new NamedEcho("refusing"));
        ObjectNode in = withIps(tcpApi("pp-in", PORT, "127.0.0.1:" + admitting.port()), "allowed_ips", "10.1.2.0/24");
        ObjectNode out = withIps(tcpApi("pp-out", PORT + 1, "127.0.0.1:" + refusing.port()),
                "allowed_ips", "127.0.0.1");
        folder.writeConf(confAllowingTcp(PORT, PORT + 1))
                .writeApi("in.json", in.put("enable_proxy_protocol", true))
                .writeApi("out.json", out.put("enable_proxy_protocol", true));
        TcpProxyUnderTest gateway = start();

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            client.setSoTimeout(READ_TIMEOUT_MILLIS);
            client.getOutputStream().write(PROXY_FROM_10_1_2_3);
            assertEquals("admitting", line(client.getInputStream()));
        }
        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT + 1))) {
            client.getOutputStream().write(PROXY_FROM_10_1_2_3);
            assertClosedWithoutAByte(client);
        }

        log.awaitLogged(Level.INFO, "api=pp-out client=/10.1.2.3:51000", REFUSED + " (allowed_ips)");
        assertEquals(0, refusing.acceptedCount());
    }

    /**
     * Two {@code tls} APIs on one port: the lists of the one SNI picks apply, once the handshake is done, so the
     * refused client completes TLS and then sees the connection close.
     */
    @Test
    void tlsApiChosenBySniAppliesItsListAfterTheHandshake() throws Exception {
        NamedEcho refusing = closer.later(new NamedEcho("refusing"));
        NamedEcho open = closer.later(new NamedEcho("open"));
        ObjectNode listed = withIps(tlsApi("listed", PORT, "api.example.com", "certs/example.pem",
                "127.0.0.1:" + refusing.port()), "allowed_ips", "10.0.0.0/8");
        folder.copy(TestCerts.examplePem(), "certs/example.pem")
                .writeConf(confAllowingTls(PORT))
                .writeApi("listed.json", listed)
                .writeApi("open.json", tlsApi("open", PORT, "*.wild.example.com", "certs/example.pem",
                        "127.0.0.1:" + open.port()));
        TcpProxyUnderTest gateway = start();

        try (SSLSocket client = tlsClient(gateway.boundPort(PORT), "eu.wild.example.com")) {
            assertEquals("open", line(client.getInputStream()));
        }
        try (SSLSocket client = tlsClient(gateway.boundPort(PORT), "api.example.com")) {
            // tlsClient returns once the handshake is done: the refusal comes after it.
            assertClosedWithoutAByte(client);
        }

        log.awaitLogged(Level.INFO, "api=listed client=/127.0.0.1:", REFUSED + " (allowed_ips)");
        assertEquals(0, refusing.acceptedCount());
    }

    /** Reads the upstream's name through the gateway, then one echoed line. */
    private static void assertRelayed(int port, String upstream) throws IOException {
        try (Socket client = new Socket("127.0.0.1", port)) {
            client.setSoTimeout(READ_TIMEOUT_MILLIS);
            assertEquals(upstream, line(client.getInputStream()));
            client.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("ping", line(client.getInputStream()));
        }
    }

    /** The gateway closes the connection without relaying anything: an upstream would have sent its name. */
    private static void assertClosedWithoutAByte(Socket client) throws IOException {
        client.setSoTimeout(READ_TIMEOUT_MILLIS);
        assertEquals(-1, client.getInputStream().read(), "the refused client read a byte");
    }
}
