package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.examples.websocket.WebSocketEchoServer;
import dev.gateway.ssews.WsClient;
import dev.gateway.tcp.support.NamedEcho;
import dev.gateway.tcp.support.TcpApis;
import dev.gateway.tcp.support.TcpClients;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Three APIs whose traffic stays open, one of each stream kind, and a client for each: {@code ws}, a WebSocket to
 * an echo server; {@code sse}, an event stream that sends one event and then rests until the client leaves;
 * {@code tcp}, a TCP relay to a line echo. For the tests of what counts the streams open now.
 */
final class StreamApis {

    /** Longest a test waits for a peer; only a broken gateway makes it wait this long. */
    static final int WAIT_MILLIS = 10_000;

    private final WebSocketEchoServer echo;
    private final NamedEcho lines;
    private final HttpServer events;
    private final int tcpPort = Ports.freePort();

    private StreamApis(WebSocketEchoServer echo, NamedEcho lines, HttpServer events) {
        this.echo = echo;
        this.lines = lines;
        this.events = events;
    }

    /** Starts the three upstreams on port 0; {@code closer} stops them when the test ends. */
    static StreamApis start(Closer closer) throws Exception {
        WebSocketEchoServer echo = closer.later(WebSocketEchoServer.start(0, null));
        NamedEcho lines = closer.later(new NamedEcho("tcp"));
        CountDownLatch release = new CountDownLatch(1);
        HttpServer events = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        events.createContext("/", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write("data: hello\n\n".getBytes(StandardCharsets.UTF_8));
                body.flush();
                // Rests until the test ends: the gateway closing this connection is what ends the stream here.
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the gateway let go of the stream
            }
        });
        ExecutorService threads = Executors.newCachedThreadPool();
        events.setExecutor(threads);
        events.start();
        closer.later(() -> {
            release.countDown();
            events.stop(0);
            threads.shutdownNow();
        });
        return new StreamApis(echo, lines, events);
    }

    /** A {@code tyk.conf} with WebSockets on and the TCP API's port allowed. */
    ObjectNode conf() {
        ObjectNode conf = TcpApis.confAllowingTcp(tcpPort);
        conf.putObject("http_server_options").put("enable_websockets", true);
        return conf;
    }

    /** Writes the three APIs into {@code folder}. */
    void writeApis(ConfFolder folder) throws IOException {
        folder.writeApi("ws.json", ConfFolder.api("ws", "/ws/", "ws://127.0.0.1:" + echo.port()))
                .writeApi("sse.json", ConfFolder.api("sse", "/sse/", "http://127.0.0.1:"
                        + events.getAddress().getPort()))
                .writeApi("tcp.json", TcpApis.tcpApi("tcp", tcpPort, "127.0.0.1:" + lines.port()));
    }

    /** A WebSocket through {@code gateway}, its relay running (a message went there and back). */
    static WsClient webSocket(Gateway gateway) throws Exception {
        WsClient client = WsClient.connect(URI.create("ws://127.0.0.1:" + gateway.gatewayPort() + "/ws/"));
        assertEquals("hello", client.sendAndReceiveText("hello"));
        return client;
    }

    /** An event stream through {@code gateway}, its first event read; closing the socket leaves it. */
    static Socket eventStream(Gateway gateway) throws IOException {
        Socket socket = new Socket("127.0.0.1", gateway.gatewayPort());
        socket.setSoTimeout(WAIT_MILLIS);
        socket.getOutputStream().write(("GET /sse/events HTTP/1.1\r\nHost: localhost\r\n"
                + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                StandardCharsets.UTF_8));
        assertEquals("HTTP/1.1 200 OK", reader.readLine());
        String line;
        while ((line = reader.readLine()) != null && !line.startsWith("data:")) {
            // the head and the chunk size
        }
        assertEquals("data: hello", line);
        return socket;
    }

    /** A TCP relay through {@code gateway}, running (the echo's greeting came through it). */
    Socket relay(Gateway gateway) throws IOException {
        Socket socket = new Socket("127.0.0.1", gateway.boundPort(tcpPort));
        socket.setSoTimeout(WAIT_MILLIS);
        assertEquals("tcp", TcpClients.line(socket.getInputStream()));
        return socket;
    }
}
