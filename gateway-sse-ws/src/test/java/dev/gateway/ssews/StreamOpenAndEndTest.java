package dev.gateway.ssews;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.exchange.ExchangeRecord;
import dev.gateway.core.exchange.ExchangeRecord.Kind;
import dev.gateway.core.testing.Closer;
import dev.gateway.examples.websocket.WebSocketEchoServer;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The listener's open event and the one end that matches it, through real sockets: an event stream opens when its
 * response head comes, over HTTP/1.1 and HTTP/2, and ends once however it ends (the upstream finishing, the
 * upstream dying, the client leaving); a WebSocket opens at its switch and ends at its close; an ordinary request
 * is told only its end.
 */
class StreamOpenAndEndTest {

    /** Longest wait for an event that should come. */
    private static final long WAIT_SECONDS = 10;

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();

    /** What the listener heard, in order: {@code open KIND api} or {@code end KIND api status outcome}. */
    private final BlockingQueue<String> heard = new LinkedBlockingQueue<>();

    private final ExchangeListener recorder = new ExchangeListener() {
        @Override
        public void onEnd(ExchangeRecord record) {
            heard.add("end " + record.kind() + " " + record.apiId() + " " + record.status() + " " + record.outcome());
        }

        @Override
        public void onOpen(Kind kind, String apiId) {
            heard.add("open " + kind + " " + apiId);
        }
    };

    private String next() throws InterruptedException {
        String event = heard.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (event == null) {
            throw new AssertionError("the listener heard nothing within " + WAIT_SECONDS + " s");
        }
        return event;
    }

    private ProxyUnderTest gateway(String target, boolean http2) throws Exception {
        return closer.later(ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_websockets", true).http("enable_http2", http2))
                .switches(settings -> WebSockets.from(settings, recorder))
                .exchanges(recorder)
                .api(TykApi.keyless("api", "/api/", target))
                .start());
    }

    private SseUpstream sse(int events, SseUpstream.Ending ending) throws Exception {
        return closer.later(SseUpstream.start(events, Duration.ofMillis(50), ending));
    }

    @ParameterizedTest(name = "HTTP/2 {0}")
    @ValueSource(booleans = {false, true})
    void eventStreamOpensAtItsHeadAndEndsOnceWhenTheUpstreamEndsIt(boolean http2) throws Exception {
        ProxyUnderTest gateway = gateway(sse(3, SseUpstream.Ending.COMPLETE).url(), http2);

        HttpResponse<String> response = client(http2).send(request(gateway), HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode());
        assertEquals(http2 ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1, response.version());
        assertTrue(response.body().contains("data: 3"), response.body());
        assertEquals("open EVENT_STREAM api", next());
        assertEquals("end EVENT_STREAM api 200 ", next());
        assertNull(heard.poll(200, TimeUnit.MILLISECONDS), "a second event");
    }

    @ParameterizedTest(name = "HTTP/2 {0}")
    @ValueSource(booleans = {false, true})
    void eventStreamTheClientLeavesEndsOnce(boolean http2) throws Exception {
        SseUpstream upstream = sse(1, SseUpstream.Ending.GO_SILENT);
        ProxyUnderTest gateway = gateway(upstream.url(), http2);

        if (http2) {
            // The JDK client resets the HTTP/2 stream when its body is closed.
            HttpResponse<InputStream> response = client(true).send(request(gateway),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(HttpClient.Version.HTTP_2, response.version());
            assertEquals("open EVENT_STREAM api", next());
            response.body().close();
        } else {
            try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
                socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
                socket.getOutputStream().write(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                BufferedReader lines = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                        StandardCharsets.US_ASCII));
                assertEquals("HTTP/1.1 200 OK", lines.readLine());
                assertEquals("open EVENT_STREAM api", next());
            }
        }

        assertEquals("end EVENT_STREAM api 200 ", next(), "leaving is how an event stream ends: no failure");
        assertTrue(upstream.takeStream().awaitClosedByGateway(Duration.ofSeconds(WAIT_SECONDS)));
        assertNull(heard.poll(200, TimeUnit.MILLISECONDS), "a second event");
    }

    @Test
    void eventStreamTheUpstreamBreaksOffEndsOnceWithItsFailure() throws Exception {
        ProxyUnderTest gateway = gateway(sse(2, SseUpstream.Ending.RESET).url(), false);

        closer.later(client(false).send(request(gateway), HttpResponse.BodyHandlers.ofInputStream()).body());

        assertEquals("open EVENT_STREAM api", next());
        assertEquals("end EVENT_STREAM api 200 UPSTREAM_RESET", next());
        assertNull(heard.poll(200, TimeUnit.MILLISECONDS), "a second event");
    }

    @Test
    void ordinaryRequestIsToldOnlyItsEnd() throws Exception {
        TestUpstream upstream = closer.later(TestUpstream.start("plain"));
        ProxyUnderTest gateway = gateway(upstream.url("/"), false);

        assertEquals(200, Clients.get(Clients.newClient(), gateway.uri("/api/x").toString()).statusCode());
        assertEquals(404, Clients.get(Clients.newClient(), gateway.uri("/nowhere").toString()).statusCode());

        assertEquals("end PROXIED api 200 ", next());
        assertEquals("end LOCAL  404 NO_ROUTE", next());
        assertNull(heard.poll(200, TimeUnit.MILLISECONDS), "a second event");
    }

    @Test
    void webSocketOpensAtItsSwitchAndEndsOnceAtItsClose() throws Exception {
        WebSocketEchoServer echo = closer.later(WebSocketEchoServer.start(0, null));
        ProxyUnderTest gateway = gateway("ws://127.0.0.1:" + echo.port(), false);

        WsClient client = closer.later(WsClient.connect(URI.create("ws://127.0.0.1:" + gateway.port() + "/api/")));
        assertEquals("hi", client.sendAndReceiveText("hi"));
        assertEquals("end PROXIED api 101 ", next(), "the upgrade, an exchange of its own");
        assertEquals("open WEBSOCKET api", next());

        client.close();

        // How it ended (the client's close, or both sides done) is the relay's to tell; that it ended once is ours.
        assertTrue(next().startsWith("end WEBSOCKET api 0 "));
        assertNull(heard.poll(200, TimeUnit.MILLISECONDS), "a second event");
    }

    private static HttpClient client(boolean http2) {
        return HttpClient.newBuilder().version(http2 ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static HttpRequest request(ProxyUnderTest gateway) {
        return Clients.request(gateway.uri("/api/events")).header("Accept", "text/event-stream").build();
    }
}
