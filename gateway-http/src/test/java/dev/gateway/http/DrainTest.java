package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.http.support.Http1;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.RawH2;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import io.netty.util.concurrent.Future;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stopping gateway first asks its clients to go while it still accepts (HTTP/1.1 {@code Connection: close}, HTTP/2
 * a GOAWAY that refuses nothing), then drains: idle connections close at once, busy ones after their exchange, HTTP/2
 * ones after a second GOAWAY naming the last stream.
 */
class DrainTest {

    @TempDir
    Path dir;

    @Test
    void drainClosesIdleConnectionsAtOnceAndBusyOnesAfterTheirExchange() throws Exception {
        CountDownLatch slowArrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (TestUpstream upstream = TestUpstream.start("up", exchange -> {
            if (exchange.getRequestURI().getPath().equals("/slow")) {
                slowArrived.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            TestUpstream.respond(exchange, 200, "done " + exchange.getRequestURI().getPath());
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient idle = RawClient.connect(gateway.port());
                RawClient busy = RawClient.connect(gateway.port())) {
            assertEquals(200, idle.get("/api/fast").status());
            busy.send("GET /api/slow HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(slowArrived.await(5, TimeUnit.SECONDS));

            Future<Void> drained = gateway.drain();
            idle.awaitClosed(Duration.ofSeconds(5));
            assertFalse(drained.isDone(), "the busy connection is still in its exchange");

            release.countDown();
            Http1.Response response = busy.readResponse();
            assertEquals(200, response.status());
            assertEquals("done /slow", response.bodyText());
            assertEquals("close", response.header("Connection"));
            busy.awaitClosed(Duration.ofSeconds(5));
            assertTrue(drained.await(5, TimeUnit.SECONDS), "drain did not complete");
        }
    }

    @Test
    void connectionAcceptedAfterTheDrainStartedIsClosedAtOnce() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()))) {
            Future<Void> drained = gateway.drainKeepingListenersOpen();
            try (RawClient late = RawClient.connect(gateway.port())) {
                // Accepted after the drain listed the open connections: it must not outlive the drain.
                late.awaitClosed(Duration.ofSeconds(5));
            }
            assertTrue(drained.await(5, TimeUnit.SECONDS), "drain did not complete");
            assertEquals(0, upstream.requestCount(), "nothing reached the upstream");
        }
    }

    @Test
    void goAwayClosesHttp1ConnectionsAfterTheirNextResponseAndStillServesNewOnes() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient open = RawClient.connect(gateway.port())) {
            Http1.Response before = open.get("/api/before");
            assertEquals(200, before.status());
            assertEquals(null, before.header("Connection"), "keep-alive before the stop");

            gateway.goAway();

            Http1.Response next = open.get("/api/next");
            assertEquals(200, next.status());
            assertEquals("close", next.header("Connection"));
            open.awaitClosed(Duration.ofSeconds(5));
            try (RawClient late = RawClient.connect(gateway.port())) {
                // The listener still accepts (a load balancer may not have seen the stop yet): served, then closed.
                Http1.Response answer = late.get("/api/late");
                assertEquals(200, answer.status());
                assertEquals("close", answer.header("Connection"));
                late.awaitClosed(Duration.ofSeconds(5));
            }
            assertEquals(3, upstream.requestCount());
        }
    }

    @Test
    void http2StreamsOpenedAfterTheFirstGoAwayAreServedAndTheDrainNamesTheLastOne() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir).conf(c -> c.http("enable_http2", true))
                        .api(TykApi.keyless("api", "/api", upstream.url())).start();
                RawH2 client = RawH2.h2c(gateway.port())) {
            client.get(1, "/api/one");
            client.flush();
            assertEquals("end", client.awaitEnd(1, 5, TimeUnit.SECONDS));

            gateway.goAway();

            assertEquals(List.of(Integer.MAX_VALUE), client.awaitGoAways(1, 5, TimeUnit.SECONDS),
                    "the first GOAWAY refuses no stream");
            assertEquals(0L, client.goAwayError(), "NO_ERROR");
            // A stream the client opened before it read the GOAWAY: served, not refused.
            client.get(3, "/api/two");
            client.flush();
            assertEquals("end", client.awaitEnd(3, 5, TimeUnit.SECONDS));

            Future<Void> drained = gateway.drain();

            assertEquals(List.of(Integer.MAX_VALUE, 3), client.awaitGoAways(2, 5, TimeUnit.SECONDS),
                    "the second GOAWAY names the last stream opened");
            assertTrue(client.awaitClosed(5, TimeUnit.SECONDS), "the connection closes once its streams are done");
            assertTrue(drained.await(5, TimeUnit.SECONDS), "drain did not complete");
            assertEquals(0, client.resets());
        }
    }

    @Test
    void connectionStartingHttp2AfterTheGoAwayGetsTheFirstGoAwayAtOnceAndIsServed() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir).conf(c -> c.http("enable_http2", true))
                        .api(TykApi.keyless("api", "/api", upstream.url())).start()) {
            gateway.goAway();
            try (RawH2 late = RawH2.h2c(gateway.port())) {
                assertEquals(List.of(Integer.MAX_VALUE), late.awaitGoAways(1, 5, TimeUnit.SECONDS));
                late.get(1, "/api/late");
                late.flush();
                assertEquals("end", late.awaitEnd(1, 5, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void drainWithoutAGoAwayFirstSendsOneGoAwayNamingTheLastStream() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir).conf(c -> c.http("enable_http2", true))
                        .api(TykApi.keyless("api", "/api", upstream.url())).start();
                RawH2 client = RawH2.h2c(gateway.port())) {
            client.get(1, "/api/one");
            client.flush();
            assertEquals("end", client.awaitEnd(1, 5, TimeUnit.SECONDS));

            Future<Void> drained = gateway.drain();

            assertTrue(client.awaitClosed(5, TimeUnit.SECONDS));
            assertEquals(List.of(1), client.awaitGoAways(1, 0, TimeUnit.SECONDS));
            assertTrue(drained.await(5, TimeUnit.SECONDS), "drain did not complete");
        }
    }

    @Test
    void responseThatPromisedKeepAliveBeforeTheGoAwayLeavesTheConnectionForOneMoreRequest() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestUpstream upstream = TestUpstream.start("up", exchange -> {
            if (exchange.getRequestURI().getPath().equals("/headfirst")) {
                exchange.sendResponseHeaders(200, 0); // chunked: the head goes now, the body later
                exchange.getResponseBody().write("part1".getBytes(StandardCharsets.US_ASCII));
                exchange.getResponseBody().flush();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.getResponseBody().write("part2".getBytes(StandardCharsets.US_ASCII));
                exchange.close();
                return;
            }
            TestUpstream.respond(exchange, 200, "done " + exchange.getRequestURI().getPath());
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("GET /api/headfirst HTTP/1.1\r\nHost: x\r\n\r\n");
            String head = readThrough(client, "\r\n\r\n");
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            assertFalse(head.toLowerCase(Locale.ROOT).contains("connection: close"), head);

            gateway.goAway();
            release.countDown();
            readThrough(client, "0\r\n\r\n");

            // Told keep-alive before the stop, the client may send again at once: served, and told to go now.
            Http1.Response next = client.get("/api/next");
            assertEquals(200, next.status());
            assertEquals("done /next", next.bodyText());
            assertEquals("close", next.header("Connection"));
            client.awaitClosed(Duration.ofSeconds(5));
        }
    }

    /** Reads the connection's bytes up to and including {@code end}. */
    private static String readThrough(RawClient client, String end) throws java.io.IOException {
        StringBuilder read = new StringBuilder();
        while (read.indexOf(end) < 0) {
            int b = client.in().read();
            if (b < 0) {
                throw new java.io.EOFException("closed after: " + read);
            }
            read.append((char) b);
        }
        return read.toString();
    }
}
