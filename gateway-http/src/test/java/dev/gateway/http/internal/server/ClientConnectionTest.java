package dev.gateway.http.internal.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.exchange.ExchangeRecord;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TykApi;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client connection's request cycle without sockets: the listener's pipeline in an {@link EmbeddedChannel}, fed
 * bytes, read back as bytes, with time advanced by hand. What needs no upstream is pinned here: admission, local
 * answers in pipelined order, the filter chain deciding now, later, or never, and the one report per exchange.
 * The end-to-end tests cover the same paths through real sockets and peers.
 */
class ClientConnectionTest {

    /** No upstream is ever reached in these tests: every answer is the gateway's own. */
    private static final String UNREACHABLE = "http://127.0.0.1:9";

    @TempDir
    Path dir;

    private final List<ExchangeRecord> records = new CopyOnWriteArrayList<>();

    private ProxyUnderTest.Embedded listener(RequestFilter... filters) throws Exception {
        return ProxyUnderTest.builder(dir)
                .conf(c -> c.put("proxy_default_timeout", 3))
                .api(TykApi.keyless("api", "/api", UNREACHABLE))
                .filters(api -> List.of(filters))
                .exchanges(records::add)
                .embedded();
    }

    private static void send(EmbeddedChannel channel, String bytes) {
        channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
    }

    /** Everything the connection wrote so far, as text. */
    private static String written(EmbeddedChannel channel) {
        StringBuilder text = new StringBuilder();
        ByteBuf part;
        while ((part = channel.readOutbound()) != null) {
            text.append(part.toString(StandardCharsets.ISO_8859_1));
            part.release();
        }
        return text.toString();
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void pipelinedLocalAnswersGoOutInOrderOnAConnectionThatStaysOpen() throws Exception {
        try (ProxyUnderTest.Embedded listener = listener()) {
            EmbeddedChannel channel = new EmbeddedChannel(listener.initializer());
            send(channel, "GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n");

            String answers = written(channel);
            int notFound = answers.indexOf("HTTP/1.1 404 Not Found");
            int status = answers.indexOf("HTTP/1.1 200 OK");
            assertTrue(notFound >= 0 && status > notFound, answers);
            assertTrue(answers.contains(ProxyFailure.NO_ROUTE.message()), answers);
            assertTrue(answers.contains(ProxyUnderTest.STATUS_BODY), answers);
            assertTrue(channel.isOpen());
            assertEquals(List.of(404, 200), records.stream().map(ExchangeRecord::status).toList());
            assertEquals(List.of(ExchangeRecord.Kind.LOCAL, ExchangeRecord.Kind.LOCAL),
                    records.stream().map(ExchangeRecord::kind).toList());
            assertEquals("NO_ROUTE", records.get(0).outcome());
            assertFalse(channel.finish());
        }
    }

    @Test
    void aHeadThatFailsAdmissionIsAnsweredAndTheConnectionClosed() throws Exception {
        try (ProxyUnderTest.Embedded listener = listener()) {
            EmbeddedChannel channel = new EmbeddedChannel(listener.initializer());
            send(channel, "GET /api/x HTTP/1.1\r\nHost: a\r\nExpect: something-else\r\n\r\n");

            String answer = written(channel);
            assertTrue(answer.startsWith("HTTP/1.1 417 Expectation Failed"), answer);
            assertTrue(answer.contains("connection: close"), answer);
            assertFalse(channel.isOpen());
            assertEquals("EXPECTATION_FAILED", records.get(0).outcome());
        }
    }

    @Test
    void aFilterThatDecidesLaterHoldsTheBodyAndThePipelinedRequestUntilItRefuses() throws Exception {
        CompletableFuture<FilterDecision> decision = new CompletableFuture<>();
        try (ProxyUnderTest.Embedded listener = listener(request -> FilterDecision.later(decision))) {
            EmbeddedChannel channel = new EmbeddedChannel(listener.initializer());
            send(channel, "POST /api/x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
            channel.runPendingTasks();
            assertNull(channel.readOutbound(), "answered before the filter decided");
            assertTrue(records.isEmpty());

            decision.complete(FilterDecision.refuse(ProxyFailure.ACCESS_DENIED));
            channel.runPendingTasks();

            String answers = written(channel);
            int refused = answers.indexOf("HTTP/1.1 403 Forbidden");
            int status = answers.indexOf("HTTP/1.1 200 OK");
            assertTrue(refused >= 0 && status > refused, answers);
            assertEquals(2, count(answers, "HTTP/1.1 "), "the held body was taken for a request: " + answers);
            assertTrue(answers.contains(ProxyFailure.ACCESS_DENIED.message()), answers);
            assertEquals(List.of("api", ""), records.stream().map(ExchangeRecord::apiId).toList());
            assertEquals("ACCESS_DENIED", records.get(0).outcome());
            assertFalse(channel.finish());
        }
    }

    @Test
    void aRefusalCarriesTheFiltersHeadersButNotItsFraming() throws Exception {
        HttpHeaders headers = new DefaultHttpHeaders().add("Retry-After", "7").add("Content-Length", "999")
                .add("Connection", "close");
        try (ProxyUnderTest.Embedded listener = listener(
                request -> FilterDecision.refuse(ProxyFailure.ACCESS_DENIED, headers))) {
            EmbeddedChannel channel = new EmbeddedChannel(listener.initializer());
            send(channel, "GET /api/x HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n");

            String answers = written(channel);
            assertTrue(answers.startsWith("HTTP/1.1 403 Forbidden"), answers);
            assertTrue(answers.contains("retry-after: 7") || answers.contains("Retry-After: 7"), answers);
            String body = "{\"error\": \"" + ProxyFailure.ACCESS_DENIED.message() + "\"}";
            assertTrue(answers.contains("content-length: " + body.length()), answers);
            assertFalse(answers.contains("999"), answers);
            assertTrue(answers.contains("HTTP/1.1 200 OK"), "the filter's Connection: close was obeyed: " + answers);
            assertTrue(channel.isOpen());
            assertEquals(3, headers.size(), "the filter's headers were changed");
            assertFalse(channel.finish());
        }
    }

    @Test
    void aFiltersOwnAnswerGoesOutAsWrittenAndIsReportedOnce() throws Exception {
        try (ProxyUnderTest.Embedded listener = listener(request -> FilterDecision.answer(HttpResponseStatus.CREATED,
                new DefaultHttpHeaders().add("X-Mock", "yes"), "{\"mocked\": \"é\"}"))) {
            EmbeddedChannel channel = new EmbeddedChannel(listener.initializer());
            send(channel, "GET /api/x HTTP/1.1\r\nHost: a\r\n\r\n");

            String answer = new String(written(channel).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 201 Created"), answer);
            assertTrue(answer.contains("X-Mock: yes") || answer.contains("x-mock: yes"), answer);
            assertTrue(answer.contains("content-length: 16"), answer);
            assertTrue(answer.endsWith("{\"mocked\": \"é\"}"), answer);
            assertEquals(List.of(201), records.stream().map(ExchangeRecord::status).toList());
            assertEquals("", records.get(0).outcome());
            assertFalse(channel.finish());
        }
    }

    @Test
    void aFilterThatNeverDecidesIsRefusedWhenProxyDefaultTimeoutRunsOut() throws Exception {
        try (ProxyUnderTest.Embedded listener = listener(request -> FilterDecision.later(new CompletableFuture<>()))) {
            EmbeddedChannel channel = new EmbeddedChannel(listener.initializer());
            send(channel, "GET /api/x HTTP/1.1\r\nHost: a\r\n\r\n");
            channel.advanceTimeBy(2, TimeUnit.SECONDS);
            channel.runScheduledPendingTasks();
            assertNull(channel.readOutbound(), "refused before proxy_default_timeout");

            channel.advanceTimeBy(2, TimeUnit.SECONDS);
            channel.runScheduledPendingTasks();

            String answer = written(channel);
            assertTrue(answer.startsWith("HTTP/1.1 500 Internal Server Error"), answer);
            assertTrue(answer.contains(ProxyFailure.FILTER_FAILED.message()), answer);
            assertEquals("FILTER_FAILED", records.get(0).outcome());
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void aFilterThatThrowsIsRefusedAtOnceAndTheNextFilterNeverRuns() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        RequestFilter broken = request -> {
            ran.add("broken");
            throw new IllegalStateException("bug in a filter");
        };
        RequestFilter after = request -> {
            ran.add("after");
            return FilterDecision.proceed();
        };
        try (ProxyUnderTest.Embedded listener = listener(broken, after)) {
            EmbeddedChannel channel = new EmbeddedChannel(listener.initializer());
            send(channel, "GET /api/x HTTP/1.1\r\nHost: a\r\n\r\n");

            String answer = written(channel);
            assertTrue(answer.startsWith("HTTP/1.1 500 Internal Server Error"), answer);
            assertEquals(List.of("broken"), ran);
            assertTrue(channel.isOpen(), "a filter's failure is the request's, not the connection's");
            assertFalse(channel.finish());
        }
    }

    @Test
    void aConnectionIdlingBetweenRequestsLetsGoOfTheLastOne() throws Exception {
        List<WeakReference<HttpRequest>> heads = new CopyOnWriteArrayList<>();
        try (ProxyUnderTest.Embedded listener = listener(request -> {
            heads.add(new WeakReference<>(request.head()));
            return FilterDecision.answer(HttpResponseStatus.OK, new DefaultHttpHeaders(), "{}");
        })) {
            EmbeddedChannel channel = new EmbeddedChannel(listener.initializer());
            send(channel, "GET /api/x HTTP/1.1\r\nHost: a\r\nX-Large: " + "x".repeat(1000) + "\r\n\r\n");

            String answer = written(channel);
            assertTrue(answer.startsWith("HTTP/1.1 200 OK"), answer);
            assertTrue(channel.isOpen());
            // A keep-alive connection may idle for read_timeout: its last request (headers and all) must not stay
            // in memory with it, as thousands of idle connections would each keep one.
            assertTrue(collected(heads.get(0)), "the idle connection still holds its last request");
            assertFalse(channel.finish());
        }
    }

    /** Whether a collection clears {@code ref}: asked for a few times, as a collection is only a request. */
    private static boolean collected(WeakReference<?> ref) throws InterruptedException {
        for (int i = 0; i < 20 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(10); // gives the collector's reference processing a moment, not a wait for an event
        }
        return ref.get() == null;
    }
}
