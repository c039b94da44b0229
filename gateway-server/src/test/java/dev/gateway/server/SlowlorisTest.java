package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Slowloris at scale: a thousand connections each send a request head one byte a second. Each gets 408 and is
 * closed at {@code read_header_timeout} (2 s here), while a good client's requests succeed throughout. Its
 * latency under the attack is measured in {@code bench/slowloris.sh}, not asserted here.
 */
class SlowlorisTest extends GatewayFixture {

    private static final int CONNECTIONS = 1_000;
    private static final String HEAD = "GET /api/slow HTTP/1.1\r\nHost: x\r\nX-Padding: " + "p".repeat(64) + "\r\n\r\n";

    @Test
    void aThousandTrickledHeadsAreEachAnswered408WhileAGoodClientIsServed() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("http_server_options").put("read_header_timeout", 2);
        folder.writeConf(conf).writeApi("api.json", ConfFolder.api("api", "/api/", upstream.url("/")));
        Gateway gateway = startGateway(folder.conf);
        String goodUrl = url(gateway.gatewayPort(), "/api/good");

        List<Socket> attackers = new ArrayList<>();
        GoodClient good = null;
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                Socket socket = new Socket("127.0.0.1", gateway.gatewayPort());
                socket.setSoTimeout(10_000);
                attackers.add(socket);
            }
            good = GoodClient.start(client, goodUrl);
            byte[] head = HEAD.getBytes(StandardCharsets.US_ASCII);
            // One byte a second on every connection, until the gateway has cut them all (the head would take 90 s).
            long start = System.nanoTime();
            for (int second = 0; second < 6; second++) {
                for (Socket socket : attackers) {
                    trickle(socket, head[second]);
                }
                LockSupport.parkNanos(start + TimeUnit.SECONDS.toNanos(second + 1) - System.nanoTime());
            }
            for (Socket socket : attackers) {
                assertEquals("HTTP/1.1 408", statusLine(socket.getInputStream()).substring(0, 12));
            }
            good.stopAndAssertServed();
        } finally {
            if (good != null) {
                good.close();
            }
            for (Socket socket : attackers) {
                socket.close();
            }
        }
    }

    /** Sends one byte, unless the gateway has closed the connection already. */
    private static void trickle(Socket socket, byte b) {
        try {
            socket.getOutputStream().write(b);
        } catch (IOException closed) {
            // Cut: its answer is read below.
        }
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != -1 && b != '\r') {
            line.append((char) b);
        }
        return line.toString();
    }
}
