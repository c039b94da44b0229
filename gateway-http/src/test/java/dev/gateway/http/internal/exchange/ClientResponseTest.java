package dev.gateway.http.internal.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.http.ProtocolRules;
import dev.gateway.http.ProtocolSwitch;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilters;
import dev.gateway.http.ResponseFilter;
import dev.gateway.http.Route;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TykApi;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The response half of an exchange without sockets: upstream response messages go in as the upstream connection
 * decodes them, the client connection is an {@link EmbeddedChannel} behind the gateway's response encoder, and what
 * it writes is read back as bytes. The end-to-end tests cover the same paths through real peers; these pin the
 * rules one message at a time: what is held, merged, dropped, rewritten, and when it is flushed.
 */
class ClientResponseTest {

    private static final long FLUSH_INTERVAL_MS = 100;

    @TempDir
    Path dir;

    private final List<String> events = new ArrayList<>();
    private final ClientResponse.Exchange exchange = new ClientResponse.Exchange() {
        @Override
        public void responseStarted() {
            events.add("started");
        }

        @Override
        public void responseComplete() {
            events.add("complete");
        }

        @Override
        public void switchComplete() {
            events.add("switched");
        }

        @Override
        public void fail(ProxyFailure failure, Throwable cause) {
            events.add("failed " + failure.name());
        }
    };

    private ProxyUnderTest.Embedded listener;
    private EmbeddedChannel client;

    @AfterEach
    void close() {
        if (client != null) {
            client.finishAndReleaseAll();
        }
        if (listener != null) {
            listener.close();
        }
    }

    /** A response half for {@code request}, writing to a fresh client channel. */
    private ClientResponse response(HttpRequest request, long flushIntervalMs, ResponseFilter... filters)
            throws Exception {
        listener = ProxyUnderTest.builder(dir)
                .api(TykApi.keyless("api", "/api", "http://127.0.0.1:9"))
                .filters(RequestFilters.of(api -> List.of(), api -> List.of(filters)))
                .embedded();
        Route route = listener.routes().match("gateway.test", "/api/x");
        ProxyResponseEncoder encoder = new ProxyResponseEncoder();
        ChannelInboundHandlerAdapter end = new ChannelInboundHandlerAdapter();
        client = new EmbeddedChannel(encoder, end);
        ChannelHandlerContext ctx = client.pipeline().context(end);
        ExchangeSettings settings = new ExchangeSettings(TimeUnit.SECONDS.toNanos(5),
                TimeUnit.MILLISECONDS.toNanos(flushIntervalMs), 0, 0, false, ProtocolRules.HTTP, ProtocolSwitch.NONE,
                () -> false, ExchangeListener.NONE);
        return new ClientResponse(exchange, ctx, encoder, route, request, null, true, settings, false, null);
    }

    private static HttpRequest get(HttpVersion version, HttpMethod method) {
        return new DefaultHttpRequest(version, method, "/api/x");
    }

    private static HttpResponse head(int status, String... fields) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        for (int i = 0; i < fields.length; i += 2) {
            response.headers().add(fields[i], fields[i + 1]);
        }
        return response;
    }

    private static LastHttpContent last(String body) {
        return new DefaultLastHttpContent(Unpooled.copiedBuffer(body, StandardCharsets.US_ASCII));
    }

    /** Each buffer the client channel flushed, as text. */
    private List<String> flushed() {
        List<String> writes = new ArrayList<>();
        ByteBuf part;
        while ((part = client.readOutbound()) != null) {
            writes.add(part.toString(StandardCharsets.US_ASCII));
            part.release();
        }
        return writes;
    }

    @Test
    void aWholeResponseInOneReadGoesOutAsOneWrite() throws Exception {
        ClientResponse response = response(get(HttpVersion.HTTP_1_1, HttpMethod.GET), 0);

        response.read(head(200, "content-length", "5", "x-up", "1"));
        response.read(last("hello"));
        response.readComplete();

        assertEquals(List.of("HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-up: 1\r\n\r\nhello"), flushed());
        assertEquals(List.of("started", "complete"), events);
        assertEquals(200, response.status());
        assertEquals(5, response.bytes());
        assertTrue(response.keepAlive());
        assertTrue(response.upstreamReusable());
    }

    @Test
    void interimAnswersStopAtTheGateway() throws Exception {
        ClientResponse response = response(get(HttpVersion.HTTP_1_1, HttpMethod.POST), 0);

        response.read(head(100));
        response.read(LastHttpContent.EMPTY_LAST_CONTENT);
        response.read(head(201, "content-length", "2"));
        response.read(last("ok"));
        response.readComplete();

        assertEquals(List.of("HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok"), flushed());
        assertEquals(List.of("started", "complete"), events);
    }

    @Test
    void aSwitchTheRequestDidNotAskForFailsTheExchangeAndWritesNothing() throws Exception {
        ClientResponse response = response(get(HttpVersion.HTTP_1_1, HttpMethod.GET), 0);

        response.read(head(101, "upgrade", "websocket", "connection", "upgrade"));
        response.readComplete();

        assertEquals(List.of(), flushed());
        assertEquals(List.of("failed UPSTREAM_PROTOCOL"), events);
    }

    @Test
    void hopByHopFieldsStayWithTheUpstreamConnection() throws Exception {
        ClientResponse response = response(get(HttpVersion.HTTP_1_1, HttpMethod.GET), 0);

        response.read(head(200, "content-length", "2", "connection", "x-private", "x-private", "1",
                "keep-alive", "timeout=5", "x-kept", "yes"));
        response.read(last("ok"));
        response.readComplete();

        String sent = String.join("", flushed());
        assertEquals("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-kept: yes\r\n\r\nok", sent);
    }

    @Test
    void aHeadAnswerKeepsItsLengthAndSendsNoBody() throws Exception {
        ClientResponse response = response(get(HttpVersion.HTTP_1_1, HttpMethod.HEAD), 0);

        response.read(head(200, "content-length", "5"));
        response.read(LastHttpContent.EMPTY_LAST_CONTENT);
        response.readComplete();

        assertEquals("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n", String.join("", flushed()));
        assertEquals(List.of("started", "complete"), events);
    }

    @Test
    void anHttp10ClientGetsAChunkedBodyUnchunkedAndTheConnectionCloses() throws Exception {
        ClientResponse response = response(get(HttpVersion.HTTP_1_0, HttpMethod.GET), 0);

        response.read(head(200, "transfer-encoding", "chunked"));
        response.read(new DefaultHttpContent(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII)));
        response.readComplete();
        response.read(last("def"));
        response.readComplete();

        String sent = String.join("", flushed());
        assertTrue(sent.startsWith("HTTP/1.0 200 OK\r\n"), sent);
        assertFalse(sent.toLowerCase().contains("transfer-encoding"), sent);
        assertTrue(sent.endsWith("\r\n\r\nabcdef"), sent);
        assertFalse(response.keepAlive());
        assertTrue(response.upstreamReusable(), "the upstream's own connection was chunked and kept alive");
    }

    @Test
    void flushIntervalHoldsALengthDelimitedBodyUntilItRuns() throws Exception {
        ClientResponse response = response(get(HttpVersion.HTTP_1_1, HttpMethod.GET), FLUSH_INTERVAL_MS);

        response.read(head(200, "content-length", "6"));
        response.read(new DefaultHttpContent(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII)));
        response.readComplete();
        assertEquals(List.of(), flushed(), "held for the flush interval");

        client.advanceTimeBy(FLUSH_INTERVAL_MS, TimeUnit.MILLISECONDS);
        client.runScheduledPendingTasks();
        assertEquals("HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nabc", String.join("", flushed()));

        response.read(last("def"));
        response.readComplete();
        client.advanceTimeBy(FLUSH_INTERVAL_MS, TimeUnit.MILLISECONDS);
        client.runScheduledPendingTasks();
        assertEquals(List.of("def"), flushed());
    }

    @Test
    void anEventStreamIsFlushedAtEveryReadWhateverTheInterval() throws Exception {
        ClientResponse response = response(get(HttpVersion.HTTP_1_1, HttpMethod.GET), FLUSH_INTERVAL_MS);

        response.read(head(200, "content-type", "text/event-stream", "content-length", "100"));
        response.read(new DefaultHttpContent(Unpooled.copiedBuffer("data: 1\n\n", StandardCharsets.US_ASCII)));
        response.readComplete();

        assertTrue(response.eventStream());
        assertEquals("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 100\r\n\r\ndata: 1\n\n",
                String.join("", flushed()));
    }

    @Test
    void aResponseFilterSeesTheHeadBeforeTheClientAndOneThatThrowsFailsTheExchange() throws Exception {
        List<String> seen = new ArrayList<>();
        ClientResponse response = response(get(HttpVersion.HTTP_1_1, HttpMethod.GET), 0,
                (request, head) -> {
                    seen.add(head.status().code() + " " + head.headers().get("x-up"));
                    head.headers().set("x-filtered", "yes");
                },
                (request, head) -> {
                    throw new IllegalStateException("broken filter");
                });

        // The exchange stops reading once it is told of the failure; the rest of the response never comes here.
        response.read(head(200, "content-length", "2", "x-up", "1"));
        response.readComplete();

        assertEquals(List.of("200 1"), seen);
        assertEquals(List.of("failed FILTER_FAILED"), events);
        assertEquals(List.of(), flushed(), "nothing of the response reaches the client");
    }
}
