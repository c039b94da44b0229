package dev.gateway.ssews;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.testing.TestTls;
import dev.gateway.core.tls.PemKeyPair;
import dev.gateway.examples.websocket.WebSocketEchoServer;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TykApi;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSockets through the gateway: the JDK's WebSocket client (or raw sockets, where the JDK cannot send what a
 * browser sends) to Netty's WebSocket echo server, both on port 0.
 */
class WebSocketProxyTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();

    private <T extends AutoCloseable> T closeLater(T resource) {
        return closer.later(resource);
    }

    private WebSocketEchoServer echo() throws Exception {
        return closeLater(WebSocketEchoServer.start(0, null));
    }

    private ProxyUnderTest.Builder gatewayTo(String target) {
        return ProxyUnderTest.builder(dir)
                .conf(conf -> conf.http("enable_websockets", true))
                .switches(WebSockets::from)
                .api(TykApi.keyless("ws", "/ws/", target));
    }

    private ProxyUnderTest gateway(WebSocketEchoServer echo) throws Exception {
        return closeLater(gatewayTo("ws://127.0.0.1:" + echo.port()).start());
    }

    private static URI ws(ProxyUnderTest gateway, String path) {
        return URI.create("ws://127.0.0.1:" + gateway.port() + path);
    }

    private WsClient client(ProxyUnderTest gateway, String path) throws Exception {
        return closeLater(WsClient.connect(ws(gateway, path)));
    }

    @Test
    void textAndBinaryMessagesGoBothWaysWithTheNegotiatedSubprotocol() throws Exception {
        WebSocketEchoServer echo = echo();
        ProxyUnderTest gateway = gateway(echo);
        WsClient client = closeLater(WsClient.connect(HttpClient.newHttpClient(), ws(gateway, "/ws/chat"),
                Map.of(), "superchat"));

        assertEquals("superchat", client.socket.getSubprotocol());
        assertEquals("hello", client.sendAndReceiveText("hello"));
        byte[] bytes = {0, 1, 2, (byte) 0xff, 127};
        client.socket.sendBinary(ByteBuffer.wrap(bytes), true).get(5, TimeUnit.SECONDS);
        assertArrayEquals(bytes, client.next().binary());
        FullHttpRequest handshake = echo.handshakes().poll(5, TimeUnit.SECONDS);
        assertNotNull(handshake);
        // The listen path is stripped, and the upstream sees who asked.
        assertEquals("/chat", handshake.uri());
        assertEquals("127.0.0.1", handshake.headers().get("X-Forwarded-For"));
    }

    @Test
    void upgradesWorkOnACleartextListenerThatAlsoAcceptsH2c() throws Exception {
        // There the h2c upgrade handler sees every request with an Upgrade header first.
        ProxyUnderTest gateway = closeLater(gatewayTo("ws://127.0.0.1:" + echo().port())
                .conf(conf -> conf.http("enable_http2", true))
                .start());

        assertEquals("beside h2c", client(gateway, "/ws/").sendAndReceiveText("beside h2c"));
    }

    @Test
    void fragmentedMessageArrivesInFragments() throws Exception {
        ProxyUnderTest gateway = gateway(echo());
        WsClient client = client(gateway, "/ws/");

        client.socket.sendText("one ", false).get(5, TimeUnit.SECONDS);
        client.socket.sendText("two ", false).get(5, TimeUnit.SECONDS);
        client.socket.sendText("three", true).get(5, TimeUnit.SECONDS);

        WsClient.Message message = client.next();
        assertEquals("one two three", message.text());
        assertTrue(message.fragments() >= 3, "frames were merged: " + message.fragments());
    }

    @Test
    void sixteenMebibyteMessageIsEchoedWhole() throws Exception {
        ProxyUnderTest gateway = gateway(echo());
        WsClient client = client(gateway, "/ws/");
        byte[] big = new byte[16 * 1024 * 1024];
        new Random(7).nextBytes(big);

        client.socket.sendBinary(ByteBuffer.wrap(big), true).get(30, TimeUnit.SECONDS);

        assertArrayEquals(big, client.next().binary());
    }

    @Test
    void pingsAreAnsweredInBothDirections() throws Exception {
        WebSocketEchoServer echo = echo();
        ProxyUnderTest gateway = gateway(echo);
        WsClient client = client(gateway, "/ws/");

        client.socket.sendPing(ByteBuffer.wrap("client ping".getBytes())).get(5, TimeUnit.SECONDS);
        assertEquals("client ping", client.nextPong());

        client.socket.sendText("ping", true).get(5, TimeUnit.SECONDS);
        assertEquals("are you there", echo.pongs().poll(WsClient.WAIT_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void closeCodesPassBothWays() throws Exception {
        WebSocketEchoServer echo = echo();
        ProxyUnderTest gateway = gateway(echo);

        WsClient byClient = client(gateway, "/ws/");
        byClient.socket.sendClose(4000, "done").get(5, TimeUnit.SECONDS);
        assertEquals(4000, echo.closeCodes().poll(WsClient.WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(4000, byClient.ending(WsClient.WAIT_SECONDS).code());

        WsClient byServer = client(gateway, "/ws/");
        byServer.socket.sendText("close:4001", true).get(5, TimeUnit.SECONDS);
        WsClient.Ending ending = byServer.ending(WsClient.WAIT_SECONDS);
        assertEquals(4001, ending.code());
        assertEquals("bye", ending.reason());
    }

    @Test
    void upstreamBytesRightAfterThe101AreNotLost() throws Exception {
        ProxyUnderTest gateway = gateway(echo());
        WsClient client = client(gateway, "/ws/greet");

        assertEquals("welcome", client.next().text());
        assertEquals("and on", client.sendAndReceiveText("and on"));
    }

    @Test
    void aRequestFilterRefusesAnUpgradeBeforeTheUpstreamHearsOfIt() throws Exception {
        WebSocketEchoServer echo = echo();
        ProxyUnderTest gateway = closeLater(gatewayTo("ws://127.0.0.1:" + echo.port())
                .filters(api -> List.of(request -> request.head().headers().contains("Authorization")
                        ? FilterDecision.proceed() : FilterDecision.refuse(ProxyFailure.ACCESS_DENIED)))
                .start());

        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> WsClient.connect(ws(gateway, "/ws/")));
        WebSocketHandshakeException handshake = (WebSocketHandshakeException) refused.getCause();
        assertEquals(403, handshake.getResponse().statusCode());

        WsClient allowed = closeLater(WsClient.connect(HttpClient.newHttpClient(), ws(gateway, "/ws/"),
                Map.of("Authorization", "Bearer letmein")));
        assertEquals("let in", allowed.sendAndReceiveText("let in"));
    }

    @Test
    void upstreamRefusalPassesThroughAsAResponse() throws Exception {
        ProxyUnderTest gateway = gateway(echo());

        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> WsClient.connect(ws(gateway, "/ws/private")));
        WebSocketHandshakeException handshake = (WebSocketHandshakeException) refused.getCause();
        assertEquals(401, handshake.getResponse().statusCode());
        assertEquals("{\"error\": \"no token\"}", handshake.getResponse().body());

        WsClient allowed = closeLater(WsClient.connect(HttpClient.newHttpClient(), ws(gateway, "/ws/private"),
                Map.of("Authorization", "Bearer letmein")));
        assertEquals("in", allowed.sendAndReceiveText("in"));
    }

    @Test
    void firefoxConnectionHeaderUpgrades() throws Exception {
        ProxyUnderTest gateway = gateway(echo());
        try (RawWebSocket raw = RawWebSocket.open(gateway.port())) {
            String response = raw.handshake("/ws/", "keep-alive, Upgrade", "websocket");

            assertTrue(response.startsWith("HTTP/1.1 101"), response);
            assertTrue(response.contains("sec-websocket-accept: " + RawWebSocket.ACCEPT_FOR_KEY + "\r\n")
                    || response.contains("Sec-WebSocket-Accept: " + RawWebSocket.ACCEPT_FOR_KEY + "\r\n"), response);
            raw.sendText("from firefox");
            assertEquals("from firefox", raw.readText());
        }
    }

    @Test
    void withoutEnableWebsocketsAnUpgradeGetsAClear501() throws Exception {
        WebSocketEchoServer echo = echo();
        ProxyUnderTest gateway = closeLater(ProxyUnderTest.builder(dir)
                .switches(WebSockets::from)
                .api(TykApi.keyless("ws", "/ws/", "ws://127.0.0.1:" + echo.port()))
                .start());
        try (RawWebSocket raw = RawWebSocket.open(gateway.port())) {
            String response = raw.handshake("/ws/", "Upgrade", "websocket");

            assertTrue(response.startsWith("HTTP/1.1 501"), response);
            assertTrue(response.contains("enable_websockets"), response);
        }
        assertNull(echo.handshakes().poll(), "the upstream saw the upgrade");
    }

    @Test
    void upgradeToADeadUpstreamGets502AndToAHungOneGets504() throws Exception {
        int dead;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = closed.getLocalPort();
        }
        ProxyUnderTest toDead = closeLater(gatewayTo("ws://127.0.0.1:" + dead).start());
        try (RawWebSocket raw = RawWebSocket.open(toDead.port())) {
            String response = raw.handshake("/ws/", "Upgrade", "websocket");
            assertTrue(response.startsWith("HTTP/1.1 502"), response);
            assertTrue(response.contains("\"error\""), response);
        }

        // Accepts and never answers: the upgrade waits proxy_default_timeout for its 101, like any request.
        ServerSocket hung = closeLater(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        ProxyUnderTest toHung = closeLater(gatewayTo("ws://127.0.0.1:" + hung.getLocalPort())
                .conf(conf -> conf.put("proxy_default_timeout", 1))
                .start());
        try (RawWebSocket raw = RawWebSocket.open(toHung.port())) {
            String response = raw.handshake("/ws/", "Upgrade", "websocket");
            assertTrue(response.startsWith("HTTP/1.1 504"), response);
        }
    }

    @Test
    void wssToTheGatewayAndToTheUpstream() throws Exception {
        SslContext upstreamTls = SslContextBuilder.forServer(TestCerts.selfSignedPem().toFile(),
                TestCerts.selfSignedKey().toFile()).build();
        WebSocketEchoServer echo = closeLater(WebSocketEchoServer.start(0, upstreamTls));
        ProxyUnderTest gateway = closeLater(gatewayTo("wss://127.0.0.1:" + echo.port())
                .https(PemKeyPair.of(TestCerts.localhostPem(), TestCerts.localhostKey()))
                .conf(conf -> conf.put("proxy_ssl_insecure_skip_verify", true))
                .start());
        HttpClient http = WsClient.trusting(TestTls.trusting(TestCerts.localhostPem()));

        WsClient client = closeLater(WsClient.connect(http,
                URI.create("wss://localhost:" + gateway.port() + "/ws/"), Map.of()));

        assertEquals("over tls", client.sendAndReceiveText("over tls"));
    }

    @Test
    void readAndWriteTimeoutsDoNotCutAWebSocketThatChats() throws Exception {
        ProxyUnderTest gateway = closeLater(gatewayTo("ws://127.0.0.1:" + echo().port())
                .conf(conf -> conf.http("read_timeout", 1).http("write_timeout", 1))
                .start());
        WsClient client = client(gateway, "/ws/");

        long start = System.nanoTime();
        for (int i = 0; System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(3000); i++) {
            assertEquals("message " + i, client.sendAndReceiveText("message " + i));
            // Pacing: a chat, not a flood; the connection lives three times read_timeout and write_timeout.
            Thread.sleep(250);
        }

        assertNull(client.endingNow());
    }

    @Test
    void silentWebSocketIsClosedAfterTheStreamIdleTimeout() throws Exception {
        WebSocketEchoServer echo = echo();
        ProxyUnderTest gateway = closeLater(gatewayTo("ws://127.0.0.1:" + echo.port())
                .settings(settings -> settings.withStreamIdleTimeout(TimeUnit.MILLISECONDS.toNanos(400)))
                .start());
        WsClient client = client(gateway, "/ws/");
        assertEquals("one", client.sendAndReceiveText("one"));
        long silentSince = System.nanoTime();

        WsClient.Ending ending = client.ending(5);

        long silence = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - silentSince);
        assertTrue(silence >= 400 && silence < 3000, "closed after " + silence + " ms of silence");
        // 1006: the JDK's code for a connection that ended without a close frame.
        assertEquals(1006, ending.code(), "closed without a close frame: " + ending);
        awaitUpstreamConnections(echo, 0);
    }

    @Test
    void stopSendsGoingAwayToBothSides() throws Exception {
        WebSocketEchoServer echo = echo();
        ProxyUnderTest gateway = gateway(echo);
        WsClient client = client(gateway, "/ws/");
        assertEquals("before the stop", client.sendAndReceiveText("before the stop"));

        var drained = gateway.drain();

        assertEquals(1001, client.ending(WsClient.WAIT_SECONDS).code());
        assertEquals(1001, echo.closeCodes().poll(WsClient.WAIT_SECONDS, TimeUnit.SECONDS));
        assertTrue(drained.await(WsClient.WAIT_SECONDS, TimeUnit.SECONDS), "the client connection stayed open");
    }

    @Test
    void upstreamCrashEndsTheClientsConnection() throws Exception {
        WebSocketEchoServer echo = echo();
        ProxyUnderTest gateway = gateway(echo);
        WsClient client = client(gateway, "/ws/");
        assertEquals("alive", client.sendAndReceiveText("alive"));

        echo.dropConnections();

        assertNotNull(client.ending(5));
    }

    @Test
    void clientVanishingClosesTheUpstreamConnection() throws Exception {
        WebSocketEchoServer echo = echo();
        ProxyUnderTest gateway = gateway(echo);
        WsClient client = client(gateway, "/ws/");
        assertEquals("alive", client.sendAndReceiveText("alive"));
        assertEquals(1, echo.openConnections());

        client.socket.abort();

        awaitUpstreamConnections(echo, 0);
    }

    @Test
    void aThousandConcurrentWebSockets() throws Exception {
        WebSocketEchoServer echo = echo();
        ProxyUnderTest gateway = gateway(echo);
        HttpClient http = HttpClient.newHttpClient();
        int count = 1000;
        List<CompletableFuture<WsClient>> opening = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            opening.add(WsClient.connectAsync(http, ws(gateway, "/ws/")));
        }
        List<WsClient> clients = new ArrayList<>();
        for (var future : opening) {
            clients.add(closeLater(future.get(60, TimeUnit.SECONDS)));
        }
        assertEquals(count, echo.openConnections());

        for (int i = 0; i < count; i++) {
            clients.get(i).socket.sendText("client " + i, true);
        }
        for (int i = 0; i < count; i++) {
            assertEquals("client " + i, clients.get(i).next().text());
        }
        for (WsClient client : clients) {
            client.socket.sendClose(1000, "");
        }
        awaitUpstreamConnections(echo, 0);
    }

    /** Waits, bounded, until the echo server has {@code expected} open connections. */
    private static void awaitUpstreamConnections(WebSocketEchoServer echo, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WsClient.WAIT_SECONDS);
        while (echo.openConnections() != expected) {
            assertTrue(System.nanoTime() < deadline, "upstream connections: " + echo.openConnections());
            // Deadline poll: the echo server's connection count has no event to wait on.
            Thread.sleep(20);
        }
    }
}
