package dev.gateway.tcp;

import static dev.gateway.tcp.support.TcpApis.confAllowingTcp;
import static dev.gateway.tcp.support.TcpApis.tcpApi;
import static dev.gateway.tcp.support.TcpClients.line;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.exchange.ExchangeRecord;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.testing.RedisServer;
import dev.gateway.core.transport.Transport;
import dev.gateway.tcp.support.NamedEcho;
import dev.gateway.tcp.support.TcpProxyUnderTest;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A {@code tcp} API's port relays bytes both ways to the next of its targets, and reports how the relay ended. */
class TcpRelayTest extends TcpFixture {

    /** The {@code listen_port} the APIs are configured with. */
    private static final int PORT = 7001;

    @Test
    void bytesGoThroughToABareHostPortTargetAndBack() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        folder.writeConf(confAllowingTcp(PORT)).writeApi("echo.json", tcpApi("echo", PORT, "127.0.0.1:" + echo.port()));
        TcpProxyUnderTest gateway = start();

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            client.setSoTimeout(10_000);
            assertEquals("echo", line(client.getInputStream()));
            client.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("ping", line(client.getInputStream()));
        }
        // The report comes once both ends have finished: the client's end reached the echo, which then closed.
        log.awaitLogged(Level.INFO, "api=echo", "closed: DONE", "bytes in");
    }

    @Test
    void listenerIsToldTheRelayOpenedThenOnceThatItEnded() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        folder.writeConf(confAllowingTcp(PORT)).writeApi("echo.json", tcpApi("echo", PORT, "127.0.0.1:" + echo.port()));
        BlockingQueue<String> heard = new LinkedBlockingQueue<>();
        TcpProxyUnderTest gateway = closer.later(TcpProxyUnderTest.start(folder.conf, new ExchangeListener() {
            @Override
            public void onEnd(ExchangeRecord record) {
                heard.add("end " + record.kind() + " " + record.apiId() + " " + record.outcome());
            }

            @Override
            public void onOpen(ExchangeRecord.Kind kind, String apiId) {
                heard.add("open " + kind + " " + apiId);
            }
        }));

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            client.setSoTimeout(10_000);
            assertEquals("echo", line(client.getInputStream()));
            assertEquals("open TCP echo", heard.poll(10, TimeUnit.SECONDS));
            assertNull(heard.poll(100, TimeUnit.MILLISECONDS), "ended while open");
        }
        assertEquals("end TCP echo DONE", heard.poll(10, TimeUnit.SECONDS));

        // A relay that never started (its upstream refused) is told neither.
        folder.writeApi("echo.json", tcpApi("echo", PORT, "127.0.0.1:" + Ports.freePort()));
        TcpProxyUnderTest refusing = closer.later(TcpProxyUnderTest.start(folder.conf, record -> heard.add("end")));
        try (Socket client = new Socket("127.0.0.1", refusing.boundPort(PORT))) {
            client.setSoTimeout(10_000);
            assertEquals(-1, client.getInputStream().read());
        }
        log.awaitLogged(Level.WARN, "api=echo", "connect failed");
        assertNull(heard.poll(100, TimeUnit.MILLISECONDS), "an end without an open");
    }

    @Test
    void aStopSendsAFinToAClientThatIsStillSendingNotAReset() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        folder.writeConf(confAllowingTcp(PORT)).writeApi("echo.json", tcpApi("echo", PORT, "127.0.0.1:" + echo.port()));
        TcpProxyUnderTest gateway = start();

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            client.setSoTimeout(10_000);
            assertEquals("echo", line(client.getInputStream()));
            // redis-cli -i: a command every few milliseconds, whatever the gateway is doing.
            AtomicBoolean sending = new AtomicBoolean(true);
            Thread writer = new Thread(() -> {
                try {
                    while (sending.get()) {
                        client.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                        Thread.sleep(1);
                    }
                } catch (IOException | InterruptedException e) {
                    // the stop, as the client sees it
                }
            });
            writer.start();
            Thread.sleep(200);

            CompletableFuture<Void> stopped = CompletableFuture.runAsync(gateway::close);

            // Every echo, then the end of the stream: readAllBytes would throw on a reset.
            assertTrue(client.getInputStream().readAllBytes().length >= 0);
            sending.set(false);
            writer.join(5000);
            client.close(); // as a client that reads does at the end of the stream
            stopped.get(10, TimeUnit.SECONDS);
        }
        log.awaitLogged(Level.INFO, "api=echo", "closed: STOPPED");
    }

    @Test
    void bulkBytesGoThroughIntactAndAreSplicedWithNativeEpoll() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("bulk"));
        folder.writeConf(confAllowingTcp(PORT)).writeApi("bulk.json", tcpApi("bulk", PORT, "127.0.0.1:" + echo.port()));
        TcpProxyUnderTest gateway = start();
        byte[] payload = new byte[64 * 1024 * 1024];
        new Random(7).nextBytes(payload);

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            client.setSoTimeout(30_000);
            Thread sender = new Thread(() -> {
                try {
                    client.getOutputStream().write(payload);
                    client.shutdownOutput();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, "bulk-sender");
            sender.start();

            assertEquals("bulk", line(client.getInputStream()));
            byte[] echoed = client.getInputStream().readAllBytes();
            sender.join(30_000);
            assertEquals(payload.length, echoed.length);
            assertTrue(Arrays.equals(payload, echoed), "the echoed bytes differ from the ones sent");
        }
        String spliced = Transport.select().name().equals("epoll") ? ", spliced" : "bytes out";
        log.awaitLogged(Level.INFO, "api=bulk", "closed: DONE", payload.length + " bytes in",
                (payload.length + 5) + " bytes out", spliced);
    }

    @Test
    void realRedisServerAnswersARealClientThroughTheGateway() throws Exception {
        RedisServer redis = closer.later(RedisServer.start(dir));
        folder.writeConf(confAllowingTcp(PORT))
                .writeApi("redis.json", tcpApi("redis", PORT, "127.0.0.1:" + redis.port()));
        TcpProxyUnderTest gateway = start();

        RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", gateway.boundPort(PORT)));
        closer.later(client::shutdown);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redisCommands = connection.sync();
            assertEquals("PONG", redisCommands.ping());
            assertEquals("OK", redisCommands.set("gateway", "relayed"));
            assertEquals("relayed", redisCommands.get("gateway"));
        }
    }

    @Test
    void loadBalancingRotatesOverTcpTargets() throws Exception {
        NamedEcho first = closer.later(new NamedEcho("first"));
        NamedEcho second = closer.later(new NamedEcho("second"));
        ObjectNode api = tcpApi("pair", PORT, "tcp://unused:1");
        ((ObjectNode) api.get("proxy")).put("enable_load_balancing", true).putArray("target_list")
                .add("tcp://127.0.0.1:" + first.port()).add("127.0.0.1:" + second.port());
        folder.writeConf(confAllowingTcp(PORT)).writeApi("pair.json", api);
        TcpProxyUnderTest gateway = start();

        List<String> names = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
                client.setSoTimeout(10_000);
                names.add(line(client.getInputStream()));
            }
        }

        assertEquals(List.of("first", "second", "first", "second"), names);
    }

    @Test
    void upstreamThatNeverAnswersTheConnectIsGivenUpAfterProxyDefaultTimeout() throws Exception {
        // A listener whose accept queue is full drops further SYNs: connecting to it hangs, as to a host that is
        // down, until the connect timeout.
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket queued1 = new Socket();
                Socket queued2 = new Socket()) {
            queued1.connect(silent.getLocalSocketAddress(), 2_000);
            queued2.connect(silent.getLocalSocketAddress(), 2_000);
            folder.writeConf(confAllowingTcp(PORT).put("proxy_default_timeout", 1))
                    .writeApi("silent.json", tcpApi("silent", PORT, "127.0.0.1:" + silent.getLocalPort()));
            TcpProxyUnderTest gateway = start();

            try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
                client.setSoTimeout(10_000);
                long start = System.nanoTime();
                assertEquals(-1, client.getInputStream().read());
                long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(waitedMillis >= 800 && waitedMillis < 5_000, "closed after " + waitedMillis + " ms");
            }
            log.awaitLogged(Level.WARN, "api=silent", "connect failed", "timed out");
        }
    }

    @Test
    void refusedUpstreamClosesTheClientPromptly() throws Exception {
        int dead = Ports.freePort();
        folder.writeConf(confAllowingTcp(PORT)).writeApi("dead.json", tcpApi("dead", PORT, "127.0.0.1:" + dead));
        TcpProxyUnderTest gateway = start();

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(PORT))) {
            client.setSoTimeout(10_000);
            long start = System.nanoTime();
            assertEquals(-1, client.getInputStream().read());
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "the client waited for a dead upstream");
        }
        log.awaitLogged(Level.WARN, "api=dead", "connect failed");
    }
}
