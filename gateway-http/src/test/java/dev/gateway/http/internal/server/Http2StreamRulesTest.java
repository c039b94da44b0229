package dev.gateway.http.internal.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawH2;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 9113 section 5.1's answers to a HEADERS frame on a stream that is not open, through a real h2c connection
 * written frame by frame: which cost the stream, and which the connection.
 */
class Http2StreamRulesTest {

    private static final long STREAM_CLOSED = 0x5;
    private static final long PROTOCOL_ERROR = 0x1;
    private static final long CANCEL = 0x8;

    @TempDir
    Path dir;

    private ProxyUnderTest gateway(TestUpstream upstream) throws Exception {
        return ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .api(TykApi.keyless("api", "/api", upstream.url()))
                .start();
    }

    /** A GET on {@code streamId}, sent now. */
    private static void get(RawH2 client, int streamId, String path) {
        client.get(streamId, path);
        client.flush();
    }

    private static String end(RawH2 client, int streamId) throws InterruptedException {
        return client.awaitEnd(streamId, 10, TimeUnit.SECONDS);
    }

    @Test
    void headersOnAStreamBothSidesEndedCloseTheConnectionWithStreamClosed() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = gateway(upstream);
                RawH2 client = RawH2.h2c(gateway.port())) {
            get(client, 1, "/api/x");
            assertEquals("end", end(client, 1));

            get(client, 1, "/api/x");

            assertTrue(client.awaitGoAway(10, TimeUnit.SECONDS), "no GOAWAY");
            assertEquals(STREAM_CLOSED, client.goAwayError());
            assertTrue(client.awaitClosed(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void headersOpeningAStreamIdTheClientSkippedCloseTheConnectionWithProtocolError() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = gateway(upstream);
                RawH2 client = RawH2.h2c(gateway.port())) {
            get(client, 5, "/api/x");
            assertEquals("end", end(client, 5));

            get(client, 3, "/api/x");

            assertTrue(client.awaitGoAway(10, TimeUnit.SECONDS), "no GOAWAY");
            assertEquals(PROTOCOL_ERROR, client.goAwayError());
        }
    }

    @Test
    void headersOnAStreamTheClientHadEndedResetItWithStreamClosedWhileOthersGoOn() throws Exception {
        try (TestUpstream held = TestUpstream.held("held");
                ProxyUnderTest gateway = gateway(held);
                RawH2 client = RawH2.h2c(gateway.port())) {
            get(client, 1, "/api/x");
            held.takeRequest();

            get(client, 1, "/api/x"); // a second HEADERS with END_STREAM: the client ended the stream already

            assertEquals("reset:" + STREAM_CLOSED, end(client, 1));
            held.release();
            get(client, 3, "/api/y");
            assertEquals("end", end(client, 3));
            assertFalse(client.goAwayReceived());
        }
    }

    @Test
    void aLateHeadersAfterTheClientsOwnResetCostsOnlyThatStream() throws Exception {
        try (TestUpstream held = TestUpstream.held("held");
                ProxyUnderTest gateway = gateway(held);
                RawH2 client = RawH2.h2c(gateway.port())) {
            client.get(1, "/api/x");
            client.reset(1, (int) CANCEL);
            get(client, 1, "/api/x");

            assertEquals("reset:" + STREAM_CLOSED, end(client, 1));
            held.release();
            get(client, 3, "/api/y");
            assertEquals("end", end(client, 3));
            assertFalse(client.goAwayReceived());
        }
    }
}
