package dev.gateway.ssews;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.testing.Closer;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TykApi;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Server-Sent Events through the gateway: a paced {@code text/event-stream} upstream ({@link SseUpstream}) on port
 * 0, read by the JDK HttpClient over HTTP/1.1 and h2c, by raw sockets, and by {@code curl} with HTTP/2 prior
 * knowledge. Every client records when each line arrived, so the tests can tell events passed on one by one from
 * events held back and sent in a burst.
 */
class ServerSentEventsTest {

    /** Events in a paced stream, and the upstream's pause between them. */
    private static final int EVENTS = 5;
    private static final Duration PACE = Duration.ofMillis(200);

    /** Two events closer than this (half the pace) arrived as one burst. */
    private static final Duration BURST = Duration.ofMillis(100);

    /** How soon a stream must end once there is a reason to: well below proxy_default_timeout (10 s here). */
    private static final Duration PROMPTLY = Duration.ofSeconds(2);

    /** Longest wait for an event that should come; only a broken gateway makes a test wait this long. */
    private static final Duration EVENT_WAIT = Duration.ofSeconds(5);

    /** How a test's client reaches the gateway. */
    enum Client {
        /** The JDK HttpClient pinned to HTTP/1.1. */
        HTTP_1_1,
        /** A socket that writes an HTTP/1.1 request and reads the raw response, framing included. */
        RAW_HTTP_1_1,
        /** The JDK HttpClient asking for HTTP/2, which it does in cleartext by {@code Upgrade: h2c}. */
        HTTP_2_UPGRADE,
        /** {@code curl --http2-prior-knowledge}: the HTTP/2 preface straight away. */
        HTTP_2_PRIOR_KNOWLEDGE;

        boolean http2() {
            return this == HTTP_2_UPGRADE || this == HTTP_2_PRIOR_KNOWLEDGE;
        }
    }

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();

    private <T extends AutoCloseable> T closeLater(T resource) {
        return closer.later(resource);
    }

    private SseUpstream upstream(int events, Duration pace, SseUpstream.Ending ending) throws IOException {
        return closeLater(SseUpstream.start(events, pace, ending));
    }

    private ProxyUnderTest.Builder gatewayTo(SseUpstream upstream) {
        return ProxyUnderTest.builder(dir).api(TykApi.keyless("sse", "/sse/", upstream.url()));
    }

    private ProxyUnderTest start(ProxyUnderTest.Builder builder) throws Exception {
        return closeLater(builder.start());
    }

    // ---- events pass one by one -------------------------------------------------------------------------------

    @ParameterizedTest(name = "flush_interval {0} ms")
    @ValueSource(ints = {0, 5000})
    void eventsArriveOneByOneAsTheUpstreamSendsThem(int flushIntervalMillis) throws Exception {
        SseUpstream upstream = upstream(EVENTS, PACE, SseUpstream.Ending.COMPLETE);
        ProxyUnderTest gateway = start(gatewayTo(upstream)
                .conf(c -> c.http("flush_interval", flushIntervalMillis)));

        LineFeed feed = open(Client.HTTP_1_1, gateway, "/sse/events");

        assertEventsArriveOneByOne(feed, upstream);
    }

    @ParameterizedTest
    @EnumSource(value = Client.class, names = {"HTTP_2_UPGRADE", "HTTP_2_PRIOR_KNOWLEDGE"})
    void eventsArriveOneByOneOverHttp2(Client client) throws Exception {
        SseUpstream upstream = upstream(EVENTS, PACE, SseUpstream.Ending.COMPLETE);
        // A large flush_interval as well: it is for known-length bodies, never for event streams.
        ProxyUnderTest gateway = start(gatewayTo(upstream)
                .conf(c -> c.http("enable_http2", true).http("flush_interval", 5000)));

        LineFeed feed = open(client, gateway, "/sse/events");

        LineFeed.End end = assertEventsArriveOneByOne(feed, upstream);
        if (client == Client.HTTP_2_PRIOR_KNOWLEDGE) {
            assertTrue(end.lines().contains("version=2"), "curl did not speak HTTP/2: " + end.lines());
        }
    }

    /**
     * Reads {@link #EVENTS} events and the end of the stream, and checks that each event arrived on its own, as the
     * upstream sent it.
     */
    private static LineFeed.End assertEventsArriveOneByOne(LineFeed feed, SseUpstream upstream) throws Exception {
        List<Long> arrivals = new ArrayList<>();
        for (int i = 1; i <= EVENTS; i++) {
            assertEquals("data: " + i, feed.nextData(EVENT_WAIT).text());
            arrivals.add(feed.lastNanos());
        }
        LineFeed.End end = feed.awaitEnd(PROMPTLY);
        assertNull(end.failure(), "the stream must end cleanly when the upstream ends it");

        List<Long> sent = upstream.takeStream().sentNanos();
        assertEquals(EVENTS, sent.size());
        List<Long> gapsMillis = new ArrayList<>();
        for (int i = 1; i < EVENTS; i++) {
            gapsMillis.add(TimeUnit.NANOSECONDS.toMillis(arrivals.get(i) - arrivals.get(i - 1)));
        }
        for (int i = 1; i < EVENTS; i++) {
            assertTrue(arrivals.get(i) - arrivals.get(i - 1) >= BURST.toNanos(),
                    "events arrived in a burst, not " + PACE.toMillis() + " ms apart; gaps in ms: " + gapsMillis);
        }
        for (int i = 0; i < EVENTS - 1; i++) {
            assertTrue(arrivals.get(i) - sent.get(i + 1) < 0, "event " + (i + 1)
                    + " reached the client only after the upstream had sent the next one; gaps in ms: " + gapsMillis);
        }
        assertTrue(arrivals.get(0) - sent.get(EVENTS - 1) < 0,
                "the first event reached the client only after the upstream had sent its last");
        return end;
    }

    // ---- timeouts that must not cut a stream ------------------------------------------------------------------

    @Test
    void streamLongerThanWriteAndReadTimeoutsIsNotCut() throws Exception {
        int events = 10;
        SseUpstream upstream = upstream(events, Duration.ofMillis(300), SseUpstream.Ending.COMPLETE);
        ProxyUnderTest gateway = start(gatewayTo(upstream)
                .conf(c -> c.http("write_timeout", 1).http("read_timeout", 1)));

        LineFeed feed = open(Client.HTTP_1_1, gateway, "/sse/events");

        long first = 0;
        for (int i = 1; i <= events; i++) {
            assertEquals("data: " + i, feed.nextData(EVENT_WAIT).text());
            if (i == 1) {
                first = feed.lastNanos();
            }
        }
        long spanNanos = feed.lastNanos() - first;
        assertNull(feed.awaitEnd(PROMPTLY).failure(), "the stream must end as the upstream ended it");
        assertTrue(spanNanos > TimeUnit.SECONDS.toNanos(2),
                "the stream lasted " + TimeUnit.NANOSECONDS.toMillis(spanNanos) + " ms, not longer than the timeouts");
    }

    @Test
    void eventStreamMayRestLongerThanProxyDefaultTimeout() throws Exception {
        // Gaps of 1.5 s against a proxy_default_timeout of 1 s: any other response this silent would be cut.
        int events = 3;
        SseUpstream upstream = upstream(events, Duration.ofMillis(1500), SseUpstream.Ending.COMPLETE);
        ProxyUnderTest gateway = start(gatewayTo(upstream)
                .conf(c -> c.put("proxy_default_timeout", 1))
                .settings(s -> s.withStreamIdleTimeout(TimeUnit.SECONDS.toNanos(5))));

        LineFeed feed = open(Client.HTTP_1_1, gateway, "/sse/events");

        for (int i = 1; i <= events; i++) {
            assertEquals("data: " + i, feed.nextData(EVENT_WAIT).text());
        }
        assertNull(feed.awaitEnd(PROMPTLY).failure(), "the stream must end as the upstream ended it");
    }

    // ---- stream_idle_timeout ----------------------------------------------------------------------------------

    @Test
    void silentEventStreamIsEndedAfterStreamIdleTimeout() throws Exception {
        assertSilentStreamEnded(gateway -> gateway.settings(s -> s.withStreamIdleTimeout(
                TimeUnit.MILLISECONDS.toNanos(500))), Duration.ofMillis(500));
    }

    @Test
    void streamIdleTimeoutIsReadFromTykConf() throws Exception {
        assertSilentStreamEnded(gateway -> gateway.conf(c -> c.http("stream_idle_timeout", 1)), Duration.ofSeconds(1));
    }

    /**
     * One event, then an upstream that stays silent but connected: the gateway must end the stream once it has been
     * silent for the idle timeout, long before proxy_default_timeout (10 s here).
     */
    private void assertSilentStreamEnded(UnaryOperator<ProxyUnderTest.Builder> idleTimeout,
            Duration idle) throws Exception {
        SseUpstream upstream = upstream(1, PACE, SseUpstream.Ending.GO_SILENT);
        ProxyUnderTest gateway = start(idleTimeout.apply(gatewayTo(upstream)));

        LineFeed feed = open(Client.HTTP_1_1, gateway, "/sse/events");
        assertEquals("data: 1", feed.nextData(EVENT_WAIT).text());
        long eventNanos = feed.lastNanos();
        SseUpstream.Stream stream = upstream.takeStream();

        LineFeed.End end = feed.awaitEnd(idle.plus(PROMPTLY));
        long silentMillis = TimeUnit.NANOSECONDS.toMillis(end.nanos() - eventNanos);
        assertTrue(silentMillis >= idle.toMillis() - 50, "cut after " + silentMillis + " ms of silence, before the "
                + idle.toMillis() + " ms idle timeout");
        assertNotNull(end.failure(), "a stream cut by the gateway must not look complete to the client");
        assertTrue(stream.awaitClosedByGateway(PROMPTLY), "the silent upstream's connection was kept open");
    }

    // ---- either side going away -------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = Client.class, names = {"RAW_HTTP_1_1", "HTTP_2_UPGRADE", "HTTP_2_PRIOR_KNOWLEDGE"})
    void clientThatGoesAwayClosesTheUpstreamStream(Client client) throws Exception {
        int events = 100;
        SseUpstream upstream = upstream(events, Duration.ofMillis(100), SseUpstream.Ending.COMPLETE);
        ProxyUnderTest gateway = start(gatewayTo(upstream).conf(c -> c.http("enable_http2", client.http2())));

        LineFeed feed = open(client, gateway, "/sse/events");
        assertEquals("data: 1", feed.nextData(EVENT_WAIT).text());
        assertEquals("data: 2", feed.nextData(EVENT_WAIT).text());
        SseUpstream.Stream stream = upstream.takeStream();

        // A socket closed, an HTTP/2 stream reset by the JDK client, or curl killed.
        feed.close();

        assertTrue(stream.awaitClosedByGateway(Duration.ofSeconds(3)),
                "the upstream still streams to a client that left");
        assertTrue(stream.sentNanos().size() < events, "the upstream sent every event");
    }

    static Stream<Arguments> upstreamDeaths() {
        return Stream.of(
                Arguments.of(Client.HTTP_1_1, SseUpstream.Ending.RESET),
                Arguments.of(Client.HTTP_1_1, SseUpstream.Ending.CLOSE),
                Arguments.of(Client.HTTP_2_UPGRADE, SseUpstream.Ending.RESET));
    }

    @ParameterizedTest(name = "{0}, upstream {1}")
    @MethodSource("upstreamDeaths")
    void upstreamDyingMidStreamEndsTheClientStreamPromptly(Client client, SseUpstream.Ending death) throws Exception {
        SseUpstream upstream = upstream(2, PACE, death);
        ProxyUnderTest gateway = start(gatewayTo(upstream).conf(c -> c.http("enable_http2", client.http2())));

        LineFeed feed = open(client, gateway, "/sse/events");
        assertEquals("data: 1", feed.nextData(EVENT_WAIT).text());
        assertEquals("data: 2", feed.nextData(EVENT_WAIT).text());

        // The upstream dies right after the second event; proxy_default_timeout (10 s) must not be what ends it.
        LineFeed.End end = feed.awaitEnd(PROMPTLY);
        assertNotNull(end.failure(), "a stream the upstream broke off must not look complete to the client");
    }

    // ---- request headers --------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = Client.class, names = {"HTTP_1_1", "HTTP_2_UPGRADE"})
    void lastEventIdReachesTheUpstream(Client client) throws Exception {
        SseUpstream upstream = upstream(2, PACE, SseUpstream.Ending.COMPLETE);
        ProxyUnderTest gateway = start(gatewayTo(upstream).conf(c -> c.http("enable_http2", client.http2())));

        LineFeed feed = open(client, gateway, "/sse/events", "Last-Event-ID", "41");

        assertEquals("41", upstream.takeStream().lastEventId());
        // The upstream resumes after the id it was given.
        assertEquals("data: 42", feed.nextData(EVENT_WAIT).text());
        assertEquals("data: 43", feed.nextData(EVENT_WAIT).text());
        assertNull(feed.awaitEnd(PROMPTLY).failure());
    }

    // ---- clients ----------------------------------------------------------------------------------------------

    /** Sends {@code GET path} with {@code Accept: text/event-stream} and the given header name/value pairs. */
    private LineFeed open(Client client, ProxyUnderTest gateway, String path, String... headers) throws Exception {
        return switch (client) {
            case HTTP_1_1 -> viaHttpClient(Clients.newClient(), HttpClient.Version.HTTP_1_1, gateway, path, headers);
            case HTTP_2_UPGRADE -> viaHttpClient(HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                    .connectTimeout(Duration.ofSeconds(5)).build(), HttpClient.Version.HTTP_2, gateway, path, headers);
            case RAW_HTTP_1_1 -> viaSocket(gateway, path, headers);
            case HTTP_2_PRIOR_KNOWLEDGE -> viaCurl(gateway, path, headers);
        };
    }

    private LineFeed viaHttpClient(HttpClient client, HttpClient.Version version, ProxyUnderTest gateway, String path,
            String... headers) throws Exception {
        HttpRequest.Builder request = Clients.request(gateway.uri(path)).header("Accept", "text/event-stream");
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        HttpResponse<InputStream> response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        LineFeed feed = closeLater(new LineFeed(response.body(), response.body()));
        assertEquals(200, response.statusCode());
        assertEquals(version, response.version());
        assertEquals("text/event-stream", response.headers().firstValue("Content-Type").orElse(null));
        return feed;
    }

    private LineFeed viaSocket(ProxyUnderTest gateway, String path, String... headers) throws Exception {
        Socket socket = closeLater(new Socket("127.0.0.1", gateway.port()));
        StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Accept: text/event-stream\r\n");
        for (int i = 0; i < headers.length; i += 2) {
            request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        OutputStream out = socket.getOutputStream();
        out.write(request.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        LineFeed feed = closeLater(new LineFeed(socket.getInputStream(), socket));
        assertEquals("HTTP/1.1 200 OK", feed.nextLine(EVENT_WAIT));
        return feed;
    }

    private LineFeed viaCurl(ProxyUnderTest gateway, String path, String... headers) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-sSN", "--http2-prior-knowledge", "--max-time", "20",
                "-H", "Accept: text/event-stream", "-w", "\nversion=%{http_version}\n"));
        for (int i = 0; i < headers.length; i += 2) {
            command.add("-H");
            command.add(headers[i] + ": " + headers[i + 1]);
        }
        command.add(gateway.uri(path).toString());
        Process curl = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        curl.getOutputStream().close();
        return closeLater(new LineFeed(curl.getInputStream(), () -> {
            curl.destroyForcibly();
            try {
                curl.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
    }

    /**
     * The lines a client read, each with its arrival time, read on a thread of its own so a test can wait for the
     * next one with a time limit. {@link #close()} closes the source, which is how a test's client goes away.
     */
    private static final class LineFeed implements AutoCloseable {

        /** One line and {@link System#nanoTime()} when the reader got it. */
        record Line(String text, long nanos) {
        }

        /**
         * The end of what the client read.
         *
         * @param failure how reading failed; {@code null} for a clean end of stream
         * @param lines the lines that came between the last line taken and the end
         */
        record End(IOException failure, long nanos, List<String> lines) {
        }

        private final BlockingQueue<Object> arrivals = new LinkedBlockingQueue<>();
        private final Closeable source;
        private long lastNanos;

        LineFeed(InputStream in, Closeable source) {
            this.source = source;
            Thread reader = new Thread(() -> read(in), "sse-client-reader");
            reader.setDaemon(true);
            reader.start();
        }

        private void read(InputStream in) {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    arrivals.add(new Line(line, System.nanoTime()));
                }
                arrivals.add(new End(null, System.nanoTime(), List.of()));
            } catch (IOException e) {
                arrivals.add(new End(e, System.nanoTime(), List.of()));
            }
        }

        private Object poll(long deadline) throws InterruptedException {
            return arrivals.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        /** The next line of any kind. */
        String nextLine(Duration max) throws InterruptedException {
            Object next = poll(System.nanoTime() + max.toNanos());
            if (next instanceof Line line) {
                lastNanos = line.nanos();
                return line.text();
            }
            throw new AssertionError(next == null ? "no line within " + max.toMillis() + " ms" : "the stream ended: "
                    + next);
        }

        /** The next {@code data:} line, skipping the others; fails when the stream ends first or it is late. */
        Line nextData(Duration max) throws InterruptedException {
            long deadline = System.nanoTime() + max.toNanos();
            while (true) {
                Object next = poll(deadline);
                if (next == null) {
                    throw new AssertionError("no event within " + max.toMillis() + " ms");
                }
                if (next instanceof End end) {
                    throw new AssertionError("the stream ended before the next event", end.failure());
                }
                Line line = (Line) next;
                if (line.text().startsWith("data:")) {
                    lastNanos = line.nanos();
                    return line;
                }
            }
        }

        /** When the line last returned arrived. */
        long lastNanos() {
            return lastNanos;
        }

        /** Waits for the end of the stream, collecting the lines before it; fails when it has not come in time. */
        End awaitEnd(Duration max) throws InterruptedException {
            long deadline = System.nanoTime() + max.toNanos();
            List<String> lines = new ArrayList<>();
            while (true) {
                Object next = poll(deadline);
                if (next == null) {
                    throw new AssertionError("the stream was still open " + max.toMillis() + " ms later; lines since: "
                            + lines);
                }
                if (next instanceof End end) {
                    return new End(end.failure(), end.nanos(), List.copyOf(lines));
                }
                lines.add(((Line) next).text());
            }
        }

        @Override
        public void close() throws IOException {
            source.close();
        }
    }
}
