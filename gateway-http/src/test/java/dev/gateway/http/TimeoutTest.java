package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.http.support.HeapWatch;
import dev.gateway.http.support.Http1;
import dev.gateway.http.support.PatternStream;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.RawUpstream;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code read_timeout} and {@code write_timeout} at 1 s. Bounds are loose on the high side because the machine
 * running the tests may be busy; what matters is that the gateway acts on the configured second, not on its
 * 120 s default or never.
 */
class TimeoutTest {

    private static final Duration AT_LEAST = Duration.ofMillis(800);
    private static final Duration AT_MOST = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private ProxyUnderTest start(String upstreamUrl) throws Exception {
        return ProxyUnderTest.builder(dir)
                .conf(conf -> conf.http("read_timeout", 1).http("write_timeout", 1))
                .api(TykApi.keyless("api", "/api", upstreamUrl))
                .start();
    }

    /** {@code read_header_timeout} at 1 s, and a {@code read_timeout} far beyond any test's wait. */
    private ProxyUnderTest startWithHeaderTimeout(String upstreamUrl) throws Exception {
        return ProxyUnderTest.builder(dir)
                .conf(conf -> conf.http("read_timeout", 60).http("read_header_timeout", 1))
                .api(TykApi.keyless("api", "/api", upstreamUrl))
                .start();
    }

    private static void assertAboutOneSecond(Duration took, String what) {
        assertTrue(took.compareTo(AT_LEAST) >= 0 && took.compareTo(AT_MOST) <= 0,
                what + " after " + took.toMillis() + " ms; read_timeout is 1 s");
    }

    @Test
    void clientStallingInsideTheRequestHeadGets408AndIsDisconnected() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = start(upstream.url());
                RawClient client = RawClient.connect(gateway.port())) {
            long start = System.nanoTime();
            client.send("GET /api/x HTTP/1.1\r\nHost: x\r\nX-Half: ");
            Http1.Response response = client.readResponse();
            assertAboutOneSecond(Duration.ofNanos(System.nanoTime() - start), "answered");
            assertEquals(408, response.status());
            assertEquals("{\"error\": \"request not received in time\"}", response.bodyText());
            client.awaitClosed(AT_MOST);
            assertEquals(0, upstream.requestCount());
        }
    }

    /**
     * Slowloris: a head sent a byte every 100 ms would take seconds to end; {@code read_header_timeout} (1 s here,
     * against a {@code read_timeout} of 60 s) cuts it a second after its first byte, with 408.
     */
    @Test
    void requestHeadTrickledAByteAtATimeGets408AtReadHeaderTimeout() throws Exception {
        byte[] head = ("GET /api/x HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(200) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = startWithHeaderTimeout(upstream.url());
                RawClient client = RawClient.connect(gateway.port())) {
            AtomicInteger sent = new AtomicInteger();
            long start = System.nanoTime();
            trickle.scheduleAtFixedRate(() -> {
                int i = sent.getAndIncrement();
                try {
                    if (i < head.length) {
                        client.send(new byte[] {head[i]});
                    }
                } catch (IOException closed) {
                    throw new IllegalStateException(closed); // ends the schedule
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
            Http1.Response response = client.readResponse();
            assertAboutOneSecond(Duration.ofNanos(System.nanoTime() - start), "answered");
            assertEquals(408, response.status());
            assertTrue(sent.get() < head.length, "the head was cut before its end: " + sent.get() + " bytes sent");
            client.awaitClosed(AT_MOST);
            assertEquals(0, upstream.requestCount());
        } finally {
            trickle.shutdownNow();
        }
    }

    /** Half a head pipelined behind a whole request: its read_header_timeout runs from the end of the first. */
    @Test
    void halfAHeadPipelinedBehindARequestGets408AtReadHeaderTimeout() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = startWithHeaderTimeout(upstream.url());
                RawClient client = RawClient.connect(gateway.port())) {
            long start = System.nanoTime();
            client.send("GET /api/x HTTP/1.1\r\nHost: x\r\n\r\nGET /api/y HTTP/1.1\r\nHost: x\r\nX-Half: ");
            assertEquals(200, client.readResponse().status());
            Http1.Response second = client.readResponse();
            assertAboutOneSecond(Duration.ofNanos(System.nanoTime() - start), "the half head answered");
            assertEquals(408, second.status());
            client.awaitClosed(AT_MOST);
            assertEquals(1, upstream.requestCount());
        }
    }

    /** Between requests the connection waits for a first byte: {@code read_timeout}'s, not read_header_timeout's. */
    @Test
    void idleKeepAliveConnectionOutlivesReadHeaderTimeout() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = startWithHeaderTimeout(upstream.url());
                RawClient client = RawClient.connect(gateway.port())) {
            assertEquals(200, client.get("/api/x").status());
            // Nothing may arrive, a close included, for twice read_header_timeout.
            client.socket().setSoTimeout(2000);
            assertThrows(SocketTimeoutException.class, () -> client.in().read());
            assertEquals(200, client.get("/api/y").status());
        }
    }

    @Test
    void silentConnectionIsDisconnected() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = start(upstream.url());
                RawClient client = RawClient.connect(gateway.port())) {
            assertAboutOneSecond(client.awaitClosed(AT_MOST.plusSeconds(5)), "closed");
        }
    }

    @Test
    void idleKeepAliveConnectionIsClosedAfterReadTimeout() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = start(upstream.url());
                RawClient client = RawClient.connect(gateway.port())) {
            Http1.Response response = client.get("/api/x");
            assertEquals(200, response.status());
            assertAboutOneSecond(client.awaitClosed(AT_MOST.plusSeconds(5)), "idle connection closed");
        }
    }

    @Test
    void responseStreamingLongerThanBothTimeoutsIsNotCut() throws Exception {
        int events = 6;
        try (TestUpstream upstream = TestUpstream.start("sse", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < events; i++) {
                    out.write(("data: " + i + "\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    // The upstream's pace: 6 events over 2.4 s, longer than read_timeout and write_timeout.
                    TimeUnit.MILLISECONDS.sleep(400);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
                ProxyUnderTest gateway = start(upstream.url());
                RawClient client = RawClient.connect(gateway.port())) {
            Http1.Response response = client.get("/api/events");
            assertEquals(200, response.status());
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < events; i++) {
                expected.append("data: ").append(i).append("\n\n");
            }
            assertEquals(expected.toString(), response.bodyText());
        }
    }

    @Test
    void clientThatStopsReadingIsDisconnectedAfterWriteTimeoutWithBoundedMemory() throws Exception {
        long size = 64L * 1024 * 1024;
        CountDownLatch upstreamCut = new CountDownLatch(1);
        AtomicLong cutAfterNanos = new AtomicLong();
        long[] start = new long[1];
        try (TestUpstream upstream = TestUpstream.start("big", exchange -> {
            exchange.sendResponseHeaders(200, size);
            try (OutputStream out = exchange.getResponseBody()) {
                new PatternStream(size).transferTo(out);
            } catch (IOException e) {
                cutAfterNanos.set(System.nanoTime() - start[0]);
                upstreamCut.countDown();
            }
        });
                ProxyUnderTest gateway = start(upstream.url());
                RawClient client = RawClient.connect(gateway.port(), 16 * 1024);
                HeapWatch memory = HeapWatch.start()) {
            start[0] = System.nanoTime();
            client.send("GET /api/big HTTP/1.1\r\nHost: x\r\n\r\n");
            // Never read: the gateway's writes back up to its high water mark, then write_timeout runs.
            assertTrue(upstreamCut.await(15, TimeUnit.SECONDS),
                    "the gateway kept the exchange of a client that reads nothing");
            Duration cut = Duration.ofNanos(cutAfterNanos.get());
            assertTrue(cut.compareTo(AT_LEAST) >= 0 && cut.compareTo(Duration.ofSeconds(10)) <= 0,
                    "write_timeout is 1 s; upstream cut after " + cut.toMillis() + " ms");
            long received = client.drainUntilClosed(Duration.ofSeconds(10));
            assertTrue(received < size / 4, "the client got " + received + " bytes without reading");
            assertTrue(memory.maxHeapUsed() < 300 * HeapWatch.MIB, memory.summary());
            assertTrue(memory.maxNettyDirect() < 64 * HeapWatch.MIB, memory.summary());
        }
    }
}
