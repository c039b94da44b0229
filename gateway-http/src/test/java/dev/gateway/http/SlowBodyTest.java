package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.http.support.Http1;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.RawUpstream;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request bodies that come too slowly: {@code read_body_timeout} cuts one that goes silent, {@code min_body_rate}
 * one that trickles, each with 408 and a close, while clients that send at a modest pace, and clients the gateway
 * itself holds back for a slow upstream, are served.
 */
class SlowBodyTest {

    private static final String TIMED_OUT = "{\"error\": \"request not received in time\"}";

    @TempDir
    Path dir;

    private ProxyUnderTest start(String upstreamUrl, int bodyTimeout, int minRate) throws Exception {
        return ProxyUnderTest.builder(dir)
                .conf(conf -> conf.http("read_timeout", 60).http("read_body_timeout", bodyTimeout)
                        .http("min_body_rate", minRate))
                .api(TykApi.keyless("api", "/api", upstreamUrl))
                .start();
    }

    @Test
    void bodySilentForReadBodyTimeoutGets408AndTheUpstreamRequestIsAbandoned() throws Exception {
        CountDownLatch upstreamSawClose = new CountDownLatch(1);
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            conn.readRequestHead();
            conn.awaitClose();
            upstreamSawClose.countDown();
        });
                ProxyUnderTest gateway = start(upstream.url(), 1, 0);
                RawClient client = RawClient.connect(gateway.port())) {
            long start = System.nanoTime();
            client.send("POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf-");
            Http1.Response response = client.readResponse();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.toMillis() >= 800 && took.toMillis() < 5_000, "408 after " + took.toMillis() + " ms");
            assertEquals(408, response.status());
            assertEquals(TIMED_OUT, response.bodyText());
            client.awaitClosed(Duration.ofSeconds(5));
            assertTrue(upstreamSawClose.await(5, TimeUnit.SECONDS));
        }
    }

    /**
     * Twenty clients trickle 10 bytes a second, under a {@code min_body_rate} of 100: each gets 408 at the end of
     * the first 10 s window. One client sends 400 bytes a second over the same time, above the minimum though never
     * fast, and is served whole.
     */
    @Test
    void bodyUnderMinBodyRateGets408WhileAModestPaceIsServed() throws Exception {
        int tricklers = 20;
        ExecutorService clients = Executors.newFixedThreadPool(tricklers + 1);
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = start(upstream.url(), 30, 100)) {
            List<Future<Integer>> trickled = new ArrayList<>();
            for (int i = 0; i < tricklers; i++) {
                trickled.add(clients.submit(() -> send(gateway.port(), 2, 200, 300)));
            }
            Future<Integer> modest = clients.submit(() -> send(gateway.port(), 40, 100, 120));
            for (Future<Integer> status : trickled) {
                assertEquals(408, status.get(30, TimeUnit.SECONDS));
            }
            assertEquals(200, modest.get(30, TimeUnit.SECONDS));
        } finally {
            clients.shutdownNow();
        }
    }

    /**
     * Sends a body of {@code pieces} pieces of {@code size} bytes, one every {@code everyMillis}, and returns the
     * status of the answer, which may come before the body is done.
     */
    private static int send(int port, int size, long everyMillis, int pieces) throws IOException {
        try (RawClient client = RawClient.connect(port)) {
            // The answer comes after the 10 s window, past RawClient's usual wait.
            client.socket().setSoTimeout(30_000);
            client.send("POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: " + size * pieces + "\r\n\r\n");
            byte[] piece = "x".repeat(size).getBytes();
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < pieces; i++) {
                        client.send(piece);
                        TimeUnit.MILLISECONDS.sleep(everyMillis);
                    }
                } catch (IOException | InterruptedException e) {
                    // The gateway answered and closed: the answer says how it ended.
                }
            });
            int status = client.readResponse().status();
            sending.cancel(true);
            return status;
        }
    }

    /**
     * The upstream takes no body bytes for 3 s, three times {@code read_body_timeout}: the gateway stops reading
     * the client, which is then blocked by the gateway, not silent of its own accord, and is served once the
     * upstream reads.
     */
    @Test
    void timeTheGatewayHoldsTheClientBackDoesNotCount() throws Exception {
        int size = 16 * 1024 * 1024;
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            Http1.Head head = conn.readRequestHead();
            TimeUnit.SECONDS.sleep(3);
            conn.in().skipNBytes(head.contentLength());
            conn.respond(200, "took it all");
        });
                ProxyUnderTest gateway = start(upstream.url(), 1, 100_000);
                RawClient client = RawClient.connect(gateway.port())) {
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                try {
                    client.send("POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: " + size + "\r\n\r\n");
                    client.send(new byte[size]);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            Http1.Response response = client.readResponse();
            assertEquals(200, response.status(), response.bodyText());
            sending.get(10, TimeUnit.SECONDS);
        }
    }
}
