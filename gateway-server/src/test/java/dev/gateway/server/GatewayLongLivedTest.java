package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.examples.websocket.WebSocketEchoServer;
import dev.gateway.ssews.WsClient;
import com.sun.net.httpserver.HttpServer;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.http.support.Clients;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Long-lived connections through the whole gateway: WebSockets ({@code enable_websockets} read from
 * {@code tyk.conf}) and event streams, open across reloads, and the 1001 that a stop sends.
 */
class GatewayLongLivedTest extends GatewayFixture {

    private WebSocketEchoServer echo;

    @BeforeEach
    void startEcho() throws Exception {
        echo = closer.later(WebSocketEchoServer.start(0, null));
    }

    private ObjectNode conf() {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("http_server_options").put("enable_websockets", true);
        return conf;
    }

    private ObjectNode wsApi(String id) {
        return ConfFolder.api(id, "/" + id + "/", "ws://127.0.0.1:" + echo.port());
    }

    private WsClient open(Gateway gateway, String path) throws Exception {
        return closer.later(WsClient.connect(URI.create("ws://127.0.0.1:" + gateway.gatewayPort() + path)));
    }

    @Test
    void openWebSocketsSurviveReloadsWhetherTheirApiChangedOrNot() throws Exception {
        folder.writeConf(conf()).writeApi("same.json", wsApi("same")).writeApi("changed.json", wsApi("changed"));
        Gateway gateway = startGateway(folder.conf);
        WsClient unchanged = open(gateway, "/same/");
        WsClient changed = open(gateway, "/changed/");

        ObjectNode moved = wsApi("changed");
        ((ObjectNode) moved.get("proxy")).put("listen_path", "/moved/");
        folder.writeApi("changed.json", moved);
        gateway.reload();

        assertEquals("still here", unchanged.sendAndReceiveText("still here"));
        assertEquals("me too", changed.sendAndReceiveText("me too"));
        assertEquals("new path", open(gateway, "/moved/").sendAndReceiveText("new path"));
    }

    @Test
    void aRemovedApisWebSocketsRunOnWhileNewOnesGet404() throws Exception {
        folder.writeConf(conf()).writeApi("gone.json", wsApi("gone"));
        Gateway gateway = startGateway(folder.conf);
        WsClient open = open(gateway, "/gone/");

        folder.removeApi("gone.json");
        gateway.reload();

        assertEquals("running on", open.sendAndReceiveText("running on"));
        ExecutionException refused = assertThrows(ExecutionException.class, () -> open(gateway, "/gone/"));
        assertEquals(404, ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode());
        assertNull(open.endingNow());
    }

    @Test
    void stopClosesWebSocketsWithGoingAway() throws Exception {
        folder.writeConf(conf()).writeApi("ws.json", wsApi("ws"));
        Gateway gateway = Gateway.start(folder.conf, 0);
        WsClient client = open(gateway, "/ws/");
        assertEquals("hello", client.sendAndReceiveText("hello"));

        long start = System.nanoTime();
        gateway.stop(Duration.ofSeconds(10));

        assertEquals(1001, client.ending(WsClient.WAIT_SECONDS).code());
        assertEquals(1001, echo.closeCodes().poll(WsClient.WAIT_SECONDS, TimeUnit.SECONDS));
        // The peers answered the close, so the stop did not wait for its grace period.
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the stop waited for its grace period");
    }

    @Test
    void openEventStreamsSurviveReloadsWhetherTheirApiChangedOrWasRemoved() throws Exception {
        Map<String, BlockingQueue<String>> events = new ConcurrentHashMap<>();
        HttpServer sse = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        sse.createContext("/", exchange -> {
            BlockingQueue<String> next = events.computeIfAbsent(exchange.getRequestURI().getPath(),
                    path -> new LinkedBlockingQueue<>());
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream body = exchange.getResponseBody()) {
                String event;
                while ((event = next.poll(WsClient.WAIT_SECONDS, TimeUnit.SECONDS)) != null && !event.isEmpty()) {
                    body.write(("data: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
                    body.flush();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        ExecutorService streams = Executors.newCachedThreadPool();
        sse.setExecutor(streams);
        sse.start();
        closer.later(() -> {
            sse.stop(0);
            streams.shutdownNow();
        });
        String target = "http://127.0.0.1:" + sse.getAddress().getPort();
        folder.writeConf(conf()).writeApi("changed.json", ConfFolder.api("changed", "/changed/", target))
                .writeApi("gone.json", ConfFolder.api("gone", "/gone/", target));
        Gateway gateway = startGateway(folder.conf);
        EventStream changed = closer.later(EventStream.open(gateway.gatewayPort(), "/changed/one"));
        EventStream gone = closer.later(EventStream.open(gateway.gatewayPort(), "/gone/two"));
        queue(events, "/one").add("a");
        queue(events, "/two").add("b");
        assertEquals("data: a", changed.nextData());
        assertEquals("data: b", gone.nextData());

        folder.writeApi("changed.json", ConfFolder.api("changed", "/renamed/", target));
        folder.removeApi("gone.json");
        gateway.reload();

        assertEquals(404, Clients.get(client, url(gateway.gatewayPort(), "/gone/three")).statusCode());
        queue(events, "/one").add("after the reload");
        queue(events, "/two").add("after the removal");
        assertEquals("data: after the reload", changed.nextData());
        assertEquals("data: after the removal", gone.nextData());
    }

    private static BlockingQueue<String> queue(Map<String, BlockingQueue<String>> events, String path) {
        return events.computeIfAbsent(path, p -> new LinkedBlockingQueue<>());
    }

    /** An event stream read line by line from a plain socket, every read bounded. */
    private static final class EventStream implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader lines;

        private EventStream(Socket socket) throws IOException {
            this.socket = socket;
            this.lines = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        }

        static EventStream open(int port, String path) throws IOException {
            Socket socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WsClient.WAIT_SECONDS));
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            EventStream stream = new EventStream(socket);
            String status = stream.lines.readLine();
            assertTrue(status.startsWith("HTTP/1.1 200"), status);
            return stream;
        }

        /** The next {@code data:} line; chunk sizes and blank lines are skipped. */
        String nextData() throws IOException {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith("data:")) {
                    return line;
                }
            }
            throw new AssertionError("the stream ended");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
