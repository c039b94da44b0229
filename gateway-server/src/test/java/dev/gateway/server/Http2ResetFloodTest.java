package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.gateway.core.testing.TestTls;
import dev.gateway.http.HttpSettings;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.RawH2;
import java.net.http.HttpClient;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * MadeYouReset (CVE-2025-8671): a client opens stream after stream on one HTTP/2 connection and makes each one
 * invalid right after it opens, so that the server, not the client, resets it. Such streams no longer count
 * against {@code SETTINGS_MAX_CONCURRENT_STREAMS}, so without a bound on server-sent resets one connection keeps
 * the gateway busy forever. The gateway must answer with GOAWAY after a bounded number of them, log a few lines
 * instead of a stack trace per stream, keep its heap, and go on serving other clients. Rapid reset, where the
 * client resets its own streams, is held by the same bound.
 */
class Http2ResetFloodTest extends GatewayFixture {

    /** What the attacker sends, at most; the gateway must stop it long before. */
    private static final int ATTACK_STREAMS = 100_000;
    private static final int STREAMS_PER_FLUSH = 100;
    /**
     * The most streams the gateway may reset before its GOAWAY: its bound of 200 in 30 s. Netty's GOAWAY for
     * ENHANCE_YOUR_CALM names no last stream (it says 2^31-1), so the resets the attacker received are the measure.
     */
    private static final int MAX_RESETS_BEFORE_GOAWAY = HttpSettings.H2_MAX_RESETS_PER_WINDOW + 1;
    private static final int CANCEL = 0x8;
    /** "A few KB": a handful of lines, where each stack trace alone costs about 2 KB. */
    private static final long MAX_LOG_CHARS = 4_096;
    private static final long MAX_HEAP_GROWTH = 64L * 1024 * 1024;

    /** How each stream is made invalid after its HEADERS ended it. */
    enum Attack {
        /** A WINDOW_UPDATE of 0 on the stream: a stream error PROTOCOL_ERROR. */
        ZERO_WINDOW_UPDATE,
        /** DATA on a stream the client already ended: a stream error STREAM_CLOSED. */
        DATA_AFTER_END_STREAM,
        /** Rapid reset (CVE-2023-44487): the client cancels each stream itself, right after opening it. */
        RAPID_RESET
    }

    @ParameterizedTest
    @EnumSource(Attack.class)
    void cleartextFloodEndsInGoAway(Attack attack) throws Exception {
        Gateway gateway = http2Gateway(false);
        flood(attack, () -> RawH2.h2c(gateway.gatewayPort()), Clients.newClient(),
                url(gateway.gatewayPort(), "/api/ok"));
    }

    @ParameterizedTest
    @EnumSource(Attack.class)
    void tlsFloodEndsInGoAway(Attack attack) throws Exception {
        Gateway gateway = http2Gateway(true);
        SSLContext tls = TestTls.trustingTestCa();
        flood(attack, () -> RawH2.h2(gateway.gatewayPort(), tls), Clients.newClient(tls),
                "https://localhost:" + gateway.gatewayPort() + "/api/ok");
    }

    /**
     * The GOAWAY that ends a MadeYouReset connection must reach the client. The reset that crosses the bound is
     * written in the same read as the streams that caused it, and Netty's bound closed the connection at once,
     * before that read's writes were flushed: the client saw a plain close, without its last resets and without the
     * GOAWAY, and could not tell why. Exactly enough streams to cross the bound, all in one write, so that nothing is
     * left unread when the gateway closes (unread bytes would make the close a TCP reset, which may drop the GOAWAY
     * on the client's side whatever the gateway does).
     */
    @Test
    void theGoAwayAfterTooManyResetsReachesTheClient() throws Exception {
        Gateway gateway = http2Gateway(false);
        try (RawH2 attacker = RawH2.h2c(gateway.gatewayPort())) {
            for (int i = 0; i < MAX_RESETS_BEFORE_GOAWAY; i++) {
                int stream = 2 * i + 1;
                attacker.get(stream, "/api/flood");
                attacker.windowUpdate(stream, 0);
            }
            attacker.flush();
            assertTrue(attacker.awaitClosed(10, TimeUnit.SECONDS), "the connection stays open");
            assertTrue(attacker.goAwayReceived(), "closed after " + attacker.resets() + " resets without a GOAWAY");
            assertEquals(0xb, attacker.goAwayError(), "GOAWAY ENHANCE_YOUR_CALM");
            assertEquals(MAX_RESETS_BEFORE_GOAWAY, attacker.resets(), "every stream's reset before the GOAWAY");
        }
    }

    private interface Connect {
        RawH2 open() throws Exception;
    }

    private void flood(Attack attack, Connect connect, HttpClient goodClient, String goodUrl) throws Exception {
        long heapBefore = GoodClient.heapAfterGc();
        long logBefore = log.chars();
        GoodClient good = GoodClient.start(goodClient, goodUrl);

        int sent = 0;
        try (RawH2 attacker = connect.open()) {
            while (sent < ATTACK_STREAMS && !attacker.isClosed() && !attacker.goAwayReceived()) {
                for (int i = 0; i < STREAMS_PER_FLUSH; i++) {
                    int stream = 2 * sent + 1;
                    attacker.get(stream, "/api/flood");
                    switch (attack) {
                        case ZERO_WINDOW_UPDATE -> attacker.windowUpdate(stream, 0);
                        case DATA_AFTER_END_STREAM -> attacker.data(stream, new byte[] {'x'});
                        case RAPID_RESET -> attacker.reset(stream, CANCEL);
                    }
                    sent++;
                }
                if (!attacker.flush()) {
                    break;
                }
            }
            assertTrue(attacker.awaitClosed(10, TimeUnit.SECONDS),
                    "the connection stays open after " + sent + " invalid streams");
            // The gateway closes a socket whose peer is still flooding it, which resets it; a reader thread that
            // lags behind (a busy CI host) can lose the GOAWAY to that reset. The log line checked below shows the
            // gateway sent it; when it arrived, it must say ENHANCE_YOUR_CALM.
            if (attacker.goAwayReceived()) {
                assertEquals(0xb, attacker.goAwayError(), "GOAWAY ENHANCE_YOUR_CALM");
            }
            int resets = attacker.resets();
            assertTrue(resets <= MAX_RESETS_BEFORE_GOAWAY, "GOAWAY came after " + resets + " resets");
            assertTrue(resets > 0 || attack == Attack.RAPID_RESET, "the broken streams were never reset");
        } finally {
            good.close();
        }
        good.stopAndAssertServed();
        log.awaitLogged(Level.INFO, "GOAWAY", "ENHANCE_YOUR_CALM");
        long logged = log.chars() - logBefore;
        assertTrue(logged <= MAX_LOG_CHARS, "the attack cost " + logged + " chars of log:\n"
                + String.join("\n", log.lines()));
        long growth = GoodClient.heapAfterGc() - heapBefore;
        assertTrue(growth <= MAX_HEAP_GROWTH, "the heap grew by " + growth / 1024 / 1024 + " MiB");
    }
}
