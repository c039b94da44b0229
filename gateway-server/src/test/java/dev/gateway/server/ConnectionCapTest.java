package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.net.ConnectionLimits;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.transport.Transport;
import dev.gateway.http.support.RawClient;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The connection caps against a client that opens connections and holds them: past a cap new connections are
 * closed as soon as they are accepted, the refusals make one WARN line per few seconds, and a client already
 * connected is served throughout, its upstream connections included. With the open-files limit lowered, the
 * default cap keeps the gateway from running out of descriptors.
 */
class ConnectionCapTest extends GatewayFixture {

    private static final int CAP = 10;
    private static final int ATTACKERS = 50;

    @Test
    void connectionsPastTheListenerCapAreClosedAtOnceAndCountedInOneLine() throws Exception {
        ObjectNode conf = ConfFolder.tykConf().put("max_connections_per_listener", CAP);
        folder.writeConf(conf).writeApi("api.json", ConfFolder.api("api", "/api/", upstream.url("/")));
        Gateway gateway = startGateway(folder.conf);
        int port = gateway.gatewayPort();
        List<Socket> held = new ArrayList<>();
        try (RawClient good = RawClient.connect(port)) {
            assertEquals(200, good.get("/api/before").status());
            for (int i = 1; i < CAP; i++) {
                held.add(new Socket("127.0.0.1", port));
            }
            for (int i = 0; i < ATTACKERS; i++) {
                assertClosedAtOnce(port);
            }
            assertEquals(200, good.get("/api/during").status(), "a connected client is served at the cap");

            log.awaitLogged(Level.WARN, "closed " + ATTACKERS + " new connections", "max_connections_per_listener "
                    + CAP);
            assertEquals(1, log.lines().stream().filter(line -> line.contains("new connections in the last")).count(),
                    String.join("\n", log.lines()));
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        // The held connections' slots come back as they close.
        Net.Deadline deadline = new Net.Deadline(Duration.ofSeconds(10));
        while (!servedOnNewConnection(port)) {
            assertFalse(deadline.passed(), "no new connection was served after the held ones closed");
            Thread.sleep(50);
        }
    }

    /**
     * With 4096 descriptors the default cap is half of what is left after those open at start, 128 more and the
     * accept backlog. An attacker holding three times that many connections gets the rest closed, while a client
     * connected before is served through an upstream connection opened during the attack, which finds a
     * descriptor; nothing logs a failed accept.
     */
    @Test
    void theDefaultCapKeepsDescriptorsForUpstreamsUnderALoweredOpenFilesLimit() throws Exception {
        int openFiles = 4096;
        folder.writeConf(ConfFolder.tykConf())
                .writeApi("api.json", ConfFolder.api("api", "/api/", upstream.url("/")));
        GatewayProcess gateway = closer.later(GatewayProcess.startServingWithOpenFiles(openFiles, dir, "fd-cap",
                folder.conf));
        int port = gateway.port();
        Matcher started = Pattern.compile("max_connections=(\\d+)").matcher(gateway.stdout() + gateway.stderr());
        assertTrue(started.find(), "no cap in the start-up line");
        int cap = Integer.parseInt(started.group(1));
        assertTrue(cap <= (openFiles - ConnectionLimits.RESERVED_DESCRIPTORS - Transport.ACCEPT_BACKLOG) / 2,
                "cap " + cap);
        List<Socket> attack = new ArrayList<>();
        try (RawClient good = RawClient.connect(port)) {
            // The good client's first request comes after the attack: its upstream connection needs a descriptor
            // while the attacker holds every connection the cap allows.
            for (int i = 0; i < 3 * cap; i++) {
                attack.add(new Socket("127.0.0.1", port));
            }
            for (int i = 0; i < 50; i++) {
                assertEquals(200, good.get("/api/during-" + i).status());
            }
        } finally {
            for (Socket socket : attack) {
                socket.close();
            }
        }
        String output = gateway.stdout() + gateway.stderr();
        assertFalse(output.contains("Too many open files"), output);
    }

    private static void assertClosedAtOnce(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            assertEquals(-1, socket.getInputStream().read(), "a connection past the cap was kept");
        } catch (SocketException reset) {
            // Closed before the client's read: a reset is a close too.
        }
    }

    private static boolean servedOnNewConnection(int port) {
        try (RawClient client = RawClient.connect(port)) {
            return client.get("/api/after").status() == 200;
        } catch (IOException e) {
            return false;
        }
    }
}
