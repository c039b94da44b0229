package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.http.HttpSettings;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.Curl;
import dev.gateway.http.support.PatternStream;
import dev.gateway.http.support.RawH2;
import dev.gateway.http.support.RawUpstream;
import dev.gateway.http.support.TestUpstream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * HTTP/2 floods that are not about streams: control frames from a client that never reads the replies, empty DATA
 * frames, and a header block that never ends. Each must be cut with a GOAWAY that names the true error (never
 * {@code NO_ERROR}) or, for a client that reads nothing, by the gateway no longer reading it and then closing it;
 * heap and log stay bounded, and a good client is served throughout.
 */
class Http2FloodTest extends GatewayFixture {

    private static final int NO_ERROR = 0;
    private static final int CANCEL = 0x8;
    private static final long MAX_LOG_CHARS = 4_096;
    private static final long MAX_HEAP_GROWTH = 64L * 1024 * 1024;
    /** What the attacker would send, at most; the gateway must stop it long before. */
    private static final long ATTACK_BYTES = 256L * 1024 * 1024;

    /** Control frames from a client that never reads what the gateway answers. */
    enum Unread { PING, SETTINGS }

    private Gateway gateway;
    private String goodUrl;

    private void start() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("http_server_options").put("enable_http2", true).put("write_timeout", 2);
        folder.writeConf(conf).writeApi("api.json", ConfFolder.api("api", "/api/", upstream.url("/")));
        gateway = startGateway(folder.conf);
        goodUrl = url(gateway.gatewayPort(), "/api/ok");
    }

    @ParameterizedTest
    @EnumSource(Unread.class)
    void controlFramesFromAClientThatNeverReadsAreCut(Unread frames) throws Exception {
        start();
        underAttack(() -> {
            try (RawH2 attacker = RawH2.h2cNotReading(gateway.gatewayPort())) {
                // The writes block once the gateway stops reading; they end when it closes the connection.
                CompletableFuture<Boolean> flooding = CompletableFuture.supplyAsync(() -> {
                    while (attacker.bytesSent() < ATTACK_BYTES) {
                        for (int i = 0; i < 1_000; i++) {
                            if (frames == Unread.PING) {
                                attacker.ping();
                            } else {
                                attacker.settings();
                            }
                        }
                        if (!attacker.flush()) {
                            return true;
                        }
                    }
                    return false;
                });
                assertTrue(flooding.get(20, TimeUnit.SECONDS), "the gateway took " + attacker.bytesSent()
                        + " bytes of " + frames + " frames without closing the connection");
            }
        });
    }

    /**
     * A client that reads every acknowledgement and streams SETTINGS frames: before, each was decoded, applied and
     * acknowledged without end (a hundred such connections took a hundred million frames in ten seconds). Now the
     * connection gets GOAWAY ENHANCE_YOUR_CALM past the bound.
     */
    @Test
    void settingsStreamedByAClientThatReadsEndInGoAway() throws Exception {
        start();
        underAttack(() -> {
            try (RawH2 attacker = RawH2.h2c(gateway.gatewayPort())) {
                int sent = 0;
                while (sent < 100_000 && !attacker.isClosed() && !attacker.goAwayReceived()) {
                    for (int i = 0; i < 100; i++) {
                        attacker.settings();
                    }
                    sent += 100;
                    if (!attacker.flush()) {
                        break;
                    }
                }
                assertTrue(attacker.awaitClosed(10, TimeUnit.SECONDS), "open after " + sent + " SETTINGS frames");
                if (attacker.goAwayReceived()) {
                    assertEquals(0xb, attacker.goAwayError(), "GOAWAY ENHANCE_YOUR_CALM");
                }
            }
            log.awaitLogged(Level.INFO, "GOAWAY ENHANCE_YOUR_CALM", "SETTINGS frames");
        });
    }

    /**
     * A client opens its flow-control windows wide, asks for a large response, reads none of it, and goes on
     * sending a few PINGs a second, too few for the bound on queued replies. Once the gateway's writes back up it
     * stops reading the connection, and closes it after {@code write_timeout} (2 s here), with a line that says
     * so; before, it read on, and only the stream's own timeout ended the response while the connection lived on.
     */
    @Test
    void aClientThatReadsNothingStopsBeingReadAndIsClosedAfterWriteTimeout() throws Exception {
        TestUpstream big = closer.later(TestUpstream.start("big", exchange -> {
            long size = 256L * 1024 * 1024;
            exchange.sendResponseHeaders(200, size);
            try (OutputStream out = exchange.getResponseBody()) {
                new PatternStream(size).transferTo(out);
            } catch (IOException e) {
                // the gateway gave up on the response
            }
        }));
        start();
        folder.writeApi("big.json", ConfFolder.api("big", "/big/", big.url("/")));
        gateway.reload();
        underAttack(() -> {
            try (RawH2 attacker = RawH2.h2cNotReading(gateway.gatewayPort())) {
                attacker.openWindows();
                attacker.get(1, "/big/file");
                attacker.flush();
                long start = System.nanoTime();
                CompletableFuture<Boolean> pinging = CompletableFuture.supplyAsync(() -> {
                    while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20)) {
                        for (int i = 0; i < 5; i++) {
                            attacker.ping();
                        }
                        if (!attacker.flush()) {
                            return true;
                        }
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                    }
                    return false;
                });
                // The response stalls first (its stream's write_timeout ends it); the PING acks then back the
                // connection up, and write_timeout later it is closed. Reading on, as before, it stayed open.
                assertTrue(pinging.get(30, TimeUnit.SECONDS), "the connection of a client that reads nothing"
                        + " stayed open for 20 s");
            }
            log.awaitLogged(Level.INFO, "read nothing the gateway sent for write_timeout");
        });
    }

    /**
     * Rapid reset below the bound: streams the client opens and cancels at once must be cancelled upstream too, or
     * each would hold an upstream request (here, an upstream connection) that nobody waits for any more.
     */
    @Test
    void streamsTheClientResetsAreCancelledUpstream() throws Exception {
        int streams = 100;
        CountDownLatch cancelled = new CountDownLatch(streams);
        RawUpstream held = closer.later(RawUpstream.start(conn -> {
            conn.readRequestHead();
            conn.awaitClose();
            cancelled.countDown();
        }));
        start();
        folder.writeApi("held.json", ConfFolder.api("held", "/held/", held.url() + "/"));
        gateway.reload();
        underAttack(() -> {
            try (RawH2 attacker = RawH2.h2c(gateway.gatewayPort())) {
                for (int i = 0; i < streams; i++) {
                    attacker.get(2 * i + 1, "/held/" + i);
                }
                attacker.flush();
                Net.Deadline deadline = new Net.Deadline(Duration.ofSeconds(10));
                while (held.accepted() < streams && !deadline.passed()) {
                    Thread.sleep(20);
                }
                assertEquals(streams, held.accepted(), "requests that reached the upstream");
                for (int i = 0; i < streams; i++) {
                    attacker.reset(2 * i + 1, CANCEL);
                }
                attacker.flush();
                assertTrue(cancelled.await(10, TimeUnit.SECONDS), cancelled.getCount()
                        + " upstream requests outlived the streams the client reset");
                assertFalse(attacker.goAwayReceived(), "100 cancels are within the bound");
            }
        });
    }

    @Test
    void emptyDataFramesEndInGoAwayWithAnError() throws Exception {
        start();
        underAttack(() -> {
            try (RawH2 attacker = RawH2.h2c(gateway.gatewayPort())) {
                attacker.post(1, "/api/upload");
                while (attacker.bytesSent() < ATTACK_BYTES && !attacker.isClosed() && !attacker.goAwayReceived()) {
                    for (int i = 0; i < 100; i++) {
                        attacker.data(1, new byte[0]);
                    }
                    if (!attacker.flush()) {
                        break;
                    }
                }
                assertGoAwayWithAnError(attacker);
            }
        });
    }

    /** CONTINUATION flood (CVE-2024-27316 family): cut at the header-list limit, which the gateway advertises. */
    @Test
    void endlessContinuationFramesAreCutAtTheHeaderListLimit() throws Exception {
        start();
        underAttack(() -> {
            try (RawH2 attacker = RawH2.h2c(gateway.gatewayPort())) {
                attacker.headersWithoutEnd(1, "/api/upload");
                while (attacker.bytesSent() < ATTACK_BYTES && !attacker.isClosed() && !attacker.goAwayReceived()) {
                    attacker.continuation(1, 16 * 1024, false);
                    if (!attacker.flush()) {
                        break;
                    }
                }
                assertGoAwayWithAnError(attacker);
                assertEquals(HttpSettings.MAX_REQUEST_HEADERS, attacker.serverSetting(RawH2.MAX_HEADER_LIST_SIZE));
            }
        });
    }

    /** A header list a little over the advertised size costs its stream only (Netty answers it 431). */
    @Test
    void aHeaderListOverTheLimitCostsOnlyItsStream() throws Exception {
        start();
        try (RawH2 client = RawH2.h2c(gateway.gatewayPort())) {
            client.headersWithoutEnd(1, "/api/big-headers");
            client.continuation(1, 10 * 1024, false);
            client.continuation(1, 8 * 1024, true);
            client.flush();
            assertEquals("end", client.awaitEnd(1, 5, TimeUnit.SECONDS), "the stream was not answered");
            client.get(3, "/api/after");
            client.flush();
            assertEquals("end", client.awaitEnd(3, 5, TimeUnit.SECONDS));
            assertFalse(client.goAwayReceived());
        }
        Curl.Result curl = Curl.run("-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}",
                "-H", "X-Big: " + "b".repeat(18 * 1024), goodUrl);
        assertEquals("431", curl.stdout(), curl.stderr());
        assertEquals(1, upstream.requestCount(), "/api/after, and no oversized request");
    }

    private static void assertGoAwayWithAnError(RawH2 attacker) throws InterruptedException {
        assertTrue(attacker.awaitClosed(10, TimeUnit.SECONDS), "the connection stays open");
        assertTrue(attacker.goAwayReceived(), "closed without a GOAWAY");
        assertNotEquals(NO_ERROR, attacker.goAwayError(), "GOAWAY NO_ERROR hides what the client did");
    }

    private interface Attack {
        void run() throws Exception;
    }

    /** Runs {@code attack} while a good client sends requests, then checks the client, the heap and the log. */
    private void underAttack(Attack attack) throws Exception {
        long heapBefore = GoodClient.heapAfterGc();
        long logBefore = log.chars();
        try (GoodClient good = GoodClient.start(client, goodUrl)) {
            attack.run();
            good.stopAndAssertServed();
        }
        long logged = log.chars() - logBefore;
        assertTrue(logged <= MAX_LOG_CHARS, "the attack cost " + logged + " chars of log:\n"
                + String.join("\n", log.lines()));
        long growth = GoodClient.heapAfterGc() - heapBefore;
        assertTrue(growth <= MAX_HEAP_GROWTH, "the heap grew by " + growth / 1024 / 1024 + " MiB");
    }
}
