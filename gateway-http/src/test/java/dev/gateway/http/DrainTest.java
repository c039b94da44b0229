package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.http.support.Http1;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import io.netty.util.concurrent.Future;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stopping gateway closes idle connections at once and lets busy ones finish their exchange first. */
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
}
