package dev.gateway.http;

import static dev.gateway.http.support.Http1.chunk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.http.support.Http1;
import dev.gateway.http.support.PatternStream;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.RawUpstream;
import dev.gateway.http.support.TykApi;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What clients see when the upstream fails, and what the upstream sees when the client does. */
class UpstreamFailureTest {

    private static final String REFUSED = "{\"error\": \"upstream refused the connection\"}";
    private static final String RESET = "{\"error\": \"upstream closed the connection\"}";
    private static final String INVALID = "{\"error\": \"upstream sent an invalid response\"}";
    private static final String TIMEOUT = "{\"error\": \"upstream did not answer in time\"}";

    @TempDir
    Path dir;

    /** What a test does as the client of a gateway in front of a scripted upstream. */
    private interface ClientSide {
        void run(RawClient client) throws Exception;
    }

    /** Runs {@code client} against a gateway whose API {@code /api} goes to an upstream playing {@code script}. */
    private void throughGateway(RawUpstream.Script script, ClientSide client) throws Exception {
        try (RawUpstream upstream = RawUpstream.start(script);
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient raw = RawClient.connect(gateway.port())) {
            client.run(raw);
        }
    }

    /** The gateway, in front of an upstream playing {@code script}, answers a GET with this JSON error. */
    private void assertGatewayAnswers(RawUpstream.Script script, int status, String error) throws Exception {
        throughGateway(script, client -> assertJsonError(client.get("/api/x"), status, error));
    }

    private static void assertJsonError(Http1.Response response, int status, String body) {
        assertEquals(status, response.status(), response.bodyText());
        assertEquals("application/json", response.header("Content-Type"));
        assertEquals(body, response.bodyText());
    }

    @Test
    void answers502WhenTheUpstreamRefusesTheConnection() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir,
                TykApi.keyless("api", "/api", "http://127.0.0.1:" + closedPort));
                RawClient client = RawClient.connect(gateway.port())) {
            assertJsonError(client.get("/api/x"), 502, REFUSED);
            // The client did nothing wrong: its connection stays usable, also after a request with a body.
            client.send("POST /api/y HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
            assertJsonError(client.readResponse(), 502, REFUSED);
            assertJsonError(client.get("/api/z"), 502, REFUSED);
        }
    }

    @Test
    void answers502WhenTheUpstreamClosesBeforeResponding() throws Exception {
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            conn.readRequest();
            conn.close();
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            assertJsonError(client.get("/api/x"), 502, RESET);
            assertEquals(1, upstream.accepted(), "a fresh connection that failed is not retried");
        }
    }

    @Test
    void answers502WhenTheUpstreamResetsBeforeResponding() throws Exception {
        assertGatewayAnswers(conn -> {
            conn.readRequest();
            conn.reset();
        }, 502, RESET);
    }

    @Test
    void answers502WhenTheUpstreamSendsSomethingOtherThanHttp() throws Exception {
        assertGatewayAnswers(conn -> {
            conn.readRequest();
            conn.write("HTTP/1.1 two-hundred OK\r\nContent-Length: 2\r\n\r\nok");
            conn.awaitClose();
        }, 502, INVALID);
    }

    @Test
    void answers502WhenTheUpstreamResponseHeadIsTooLarge() throws Exception {
        String filler = "X-Filler: " + "f".repeat(1000) + "\r\n";
        assertGatewayAnswers(conn -> {
            conn.readRequest();
            conn.write("HTTP/1.1 200 OK\r\n" + filler.repeat(HttpSettings.MAX_RESPONSE_HEADERS / 1000 + 1)
                    + "Content-Length: 2\r\n\r\nok");
            conn.awaitClose();
        }, 502, INVALID);
    }

    @Test
    void upstreamClosingShortOfContentLengthClosesTheClientConnection() throws Exception {
        throughGateway(conn -> {
            conn.readRequest();
            conn.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nten bytes!");
        }, client -> {
            client.send("GET /api/x HTTP/1.1\r\nHost: x\r\n\r\n");
            Http1.Head head = Http1.readHead(client.in());
            assertEquals("100", head.header("Content-Length"));
            assertEquals("ten bytes!", new String(Http1.readExactly(client.in(), 10), StandardCharsets.US_ASCII));
            client.awaitClosed(Duration.ofSeconds(5));
        });
    }

    @Test
    void upstreamClosingMidChunkedBodyClosesTheClientConnectionWithoutALastChunk() throws Exception {
        throughGateway(conn -> {
            conn.readRequest();
            conn.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk("partial"));
        }, client -> {
            client.send("GET /api/x HTTP/1.1\r\nHost: x\r\n\r\n");
            Http1.Head head = Http1.readHead(client.in());
            assertTrue(head.chunked());
            assertEquals("partial", new String(Http1.readChunk(client.in()), StandardCharsets.US_ASCII));
            // A last chunk here would tell the client that the truncated body was complete.
            client.awaitClosed(Duration.ofSeconds(5));
        });
    }

    @Test
    void closeDelimitedUpstreamBodyIsReframedAsChunkedForTheClient() throws Exception {
        throughGateway(conn -> {
            conn.readRequest();
            conn.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the upstream closes");
        }, client -> {
            Http1.Response response = client.get("/api/x");
            assertTrue(response.head().chunked(), response.head().toString());
            assertEquals("until the upstream closes", response.bodyText());
            assertEquals(200, client.get("/api/x").status(), "the client connection stays usable");
        });
    }

    @Test
    void answers504WhenTheUpstreamNeverAnswers() throws Exception {
        CountDownLatch upstreamClosed = new CountDownLatch(1);
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            conn.readRequest();
            conn.awaitClose();
            upstreamClosed.countDown();
        });
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(conf -> conf.put("proxy_default_timeout", 1))
                        .api(TykApi.keyless("api", "/api", upstream.url()))
                        .start();
                RawClient client = RawClient.connect(gateway.port())) {
            long start = System.nanoTime();
            Http1.Response response = client.get("/api/slow");
            Duration waited = Duration.ofNanos(System.nanoTime() - start);
            assertJsonError(response, 504, TIMEOUT);
            assertTrue(waited.compareTo(Duration.ofMillis(900)) >= 0 && waited.compareTo(Duration.ofSeconds(3)) < 0,
                    "proxy_default_timeout is 1 s, answered after " + waited);
            assertTrue(upstreamClosed.await(5, TimeUnit.SECONDS), "the timed-out upstream request was not abandoned");
        }
    }

    @Test
    void uploadTakingLongerThanTheProxyTimeoutIsNotCutWhileItMoves() throws Exception {
        int chunks = 6;
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            conn.readRequestHead();
            int received = 0;
            while (Http1.readChunk(conn.in()) != null) {
                received++;
            }
            conn.respond(200, "chunks " + received);
            conn.awaitClose();
        });
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(conf -> conf.put("proxy_default_timeout", 1))
                        .api(TykApi.keyless("api", "/api", upstream.url()))
                        .start();
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("POST /api/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (int i = 0; i < chunks; i++) {
                client.send(chunk("piece " + i));
                // The client's pace: 6 pieces over 2.4 s, longer than proxy_default_timeout, always moving.
                TimeUnit.MILLISECONDS.sleep(400);
            }
            client.send(Http1.LAST_CHUNK);
            Http1.Response response = client.readResponse();
            assertEquals(200, response.status(), response.bodyText());
            assertEquals("chunks " + chunks, response.bodyText());
        }
    }

    @Test
    void answers504WhenTheUpstreamStopsTakingTheRequestBody() throws Exception {
        long size = 64L * 1024 * 1024;
        CountDownLatch testDone = new CountDownLatch(1);
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            conn.readRequestHead();
            // Read no body: the gateway's writes pile up in the socket buffers until it cannot write.
            testDone.await();
        });
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(conf -> conf.put("proxy_default_timeout", 1))
                        .api(TykApi.keyless("api", "/api", upstream.url()))
                        .start();
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("PUT /api/blob HTTP/1.1\r\nHost: x\r\nContent-Length: " + size + "\r\n\r\n");
            Thread writer = new Thread(() -> {
                try {
                    new PatternStream(size).transferTo(client.socket().getOutputStream());
                } catch (IOException expected) {
                    // the gateway gives up and closes while this is blocked
                }
            }, "slow-upstream-body-writer");
            writer.setDaemon(true);
            writer.start();
            long start = System.nanoTime();
            Http1.Response response = client.readResponse();
            Duration waited = Duration.ofNanos(System.nanoTime() - start);
            assertJsonError(response, 504, TIMEOUT);
            assertTrue(waited.compareTo(Duration.ofSeconds(8)) < 0, "answered after " + waited);
            client.awaitClosed(Duration.ofSeconds(5));
        } finally {
            testDone.countDown();
        }
    }

    @Test
    void closesTheClientWhenTheUpstreamStallsMidResponse() throws Exception {
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            conn.readRequest();
            conn.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-part");
            conn.awaitClose();
        });
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(conf -> conf.put("proxy_default_timeout", 1))
                        .api(TykApi.keyless("api", "/api", upstream.url()))
                        .start();
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("GET /api/x HTTP/1.1\r\nHost: x\r\n\r\n");
            Http1.Head head = Http1.readHead(client.in());
            assertEquals(200, head.status());
            assertEquals("only-part", new String(Http1.readExactly(client.in(), 9), StandardCharsets.US_ASCII));
            // The status is already out; closing short of Content-Length is how HTTP/1.1 says "broken".
            Duration closedAfter = client.awaitClosed(Duration.ofSeconds(5));
            assertTrue(closedAfter.compareTo(Duration.ofMillis(500)) >= 0, "closed too early: " + closedAfter);
        }
    }

    @Test
    void clientDisconnectingBeforeTheResponseCancelsTheUpstreamRequest() throws Exception {
        CountDownLatch upstreamHasRequest = new CountDownLatch(1);
        CountDownLatch upstreamSawClose = new CountDownLatch(1);
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            conn.readRequest();
            upstreamHasRequest.countDown();
            conn.awaitClose();
            upstreamSawClose.countDown();
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()))) {
            try (RawClient client = RawClient.connect(gateway.port())) {
                client.send("GET /api/slow HTTP/1.1\r\nHost: x\r\n\r\n");
                assertTrue(upstreamHasRequest.await(5, TimeUnit.SECONDS));
            }
            assertTrue(upstreamSawClose.await(5, TimeUnit.SECONDS),
                    "the upstream connection stayed open after its client left");
        }
    }

    @Test
    void clientDisconnectingMidUploadCancelsTheUpstreamRequest() throws Exception {
        CountDownLatch upstreamHasFirstChunk = new CountDownLatch(1);
        CountDownLatch upstreamSawClose = new CountDownLatch(1);
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            conn.readRequestHead();
            Http1.readChunk(conn.in());
            upstreamHasFirstChunk.countDown();
            conn.awaitClose();
            upstreamSawClose.countDown();
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()))) {
            try (RawClient client = RawClient.connect(gateway.port())) {
                client.send("POST /api/up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk("one"));
                assertTrue(upstreamHasFirstChunk.await(5, TimeUnit.SECONDS));
            }
            assertTrue(upstreamSawClose.await(5, TimeUnit.SECONDS),
                    "the upstream connection stayed open after its client left");
        }
    }

    @Test
    void getSucceedsWhenTheUpstreamClosesEachConnectionAfterOneResponse() throws Exception {
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            // No Connection: close, so the gateway pools the connection the upstream is about to drop.
            conn.readRequest();
            conn.respond(200, "conn " + conn.index());
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            for (int i = 0; i < 5; i++) {
                Http1.Response response = client.get("/api/x");
                assertEquals(200, response.status(), "request " + i + ": " + response.bodyText());
            }
            assertEquals(5, upstream.accepted());
        }
    }

    /** The first request is answered; the second arrives on the pooled connection, which the upstream drops. */
    private static RawUpstream dropsSecondRequest() throws Exception {
        return RawUpstream.start(conn -> {
            conn.readRequest();
            conn.respond(200, "conn " + conn.index());
            conn.readRequest();
            conn.close();
        });
    }

    @Test
    void idempotentRequestIsRetriedOnceWhenAPooledConnectionTurnsOutDead() throws Exception {
        try (RawUpstream upstream = dropsSecondRequest();
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            assertEquals("conn 0", client.get("/api/x").bodyText());
            Http1.Response retried = client.get("/api/x");
            assertEquals(200, retried.status(), retried.bodyText());
            assertEquals("conn 1", retried.bodyText());
            assertEquals(2, upstream.accepted());
        }
    }

    @Test
    void connectionARetryWentOutOnIsReusableAfterwards() throws Exception {
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            if (conn.index() == 0) {
                conn.readRequest();
                conn.respond(200, "conn 0");
                conn.readRequest();
                conn.close();
                return;
            }
            while (conn.readRequest() != null) {
                conn.respond(200, "conn " + conn.index());
            }
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            assertEquals("conn 0", client.get("/api/x").bodyText());
            for (int i = 0; i < 4; i++) {
                Http1.Response response = client.get("/api/x");
                assertEquals(200, response.status(), response.bodyText());
                assertEquals("conn 1", response.bodyText(), "request " + i + " after the retry");
            }
            assertEquals(2, upstream.accepted());
        }
    }

    @Test
    void postIsNotRetriedWhenAPooledConnectionTurnsOutDead() throws Exception {
        try (RawUpstream upstream = dropsSecondRequest();
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            assertEquals("conn 0", client.get("/api/x").bodyText());
            client.send("POST /api/order HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
            assertJsonError(client.readResponse(), 502, RESET);
            assertEquals(1, upstream.accepted(), "the upstream may have acted on the POST: never send it twice");
        }
    }
}
