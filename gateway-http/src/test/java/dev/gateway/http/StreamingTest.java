package dev.gateway.http;

import static dev.gateway.http.support.Http1.LAST_CHUNK;
import static dev.gateway.http.support.Http1.chunk;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import dev.gateway.http.support.Checksum;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.Http1;
import dev.gateway.http.support.PatternStream;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.RawUpstream;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bodies stream both ways: each test holds one side back until the other has proven it received an earlier piece,
 * so a gateway that gathered a body would deadlock the exchange and fail the test instead.
 */
class StreamingTest {

    /** How long a piece may take to cross the gateway before the test calls it buffered. */
    private static final Duration PIECE_DEADLINE = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    /** An upstream that sends {@code head}, then the first piece, waits for {@code go}, then the rest. */
    private static RawUpstream trickling(String head, String first, CountDownLatch go, String rest) throws Exception {
        return RawUpstream.start(conn -> {
            conn.readRequest();
            conn.write(head + first);
            if (go.await(10, TimeUnit.SECONDS)) {
                conn.write(rest);
            }
            conn.awaitClose();
        });
    }

    private static String readPiece(InputStream body, int length) {
        return assertTimeoutPreemptively(PIECE_DEADLINE,
                () -> new String(body.readNBytes(length), StandardCharsets.UTF_8),
                "the piece the upstream sent did not reach the client: buffered in the gateway?");
    }

    @Test
    void chunkedResponseReachesTheClientPieceByPiece() throws Exception {
        CountDownLatch clientHasFirst = new CountDownLatch(1);
        try (RawUpstream upstream = trickling("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                chunk("first;"), clientHasFirst, chunk("second;") + LAST_CHUNK);
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()))) {
            HttpResponse<InputStream> response = Clients.http().send(Clients.request(gateway.uri("/api/t")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, response.statusCode());
            try (InputStream body = response.body()) {
                assertEquals("first;", readPiece(body, 6));
                clientHasFirst.countDown();
                assertEquals("second;", new String(body.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void knownLengthResponseReachesTheClientPieceByPiece() throws Exception {
        CountDownLatch clientHasFirst = new CountDownLatch(1);
        try (RawUpstream upstream = trickling("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n",
                "first;", clientHasFirst, "second;");
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("GET /api/t HTTP/1.1\r\nHost: x\r\n\r\n");
            Http1.Head head = Http1.readHead(client.in());
            assertEquals("13", head.header("Content-Length"));
            assertEquals("first;", readPiece(client.in(), 6));
            clientHasFirst.countDown();
            assertEquals("second;", new String(Http1.readExactly(client.in(), 7), StandardCharsets.UTF_8));
        }
    }

    @Test
    void flushIntervalStillDeliversAKnownLengthPieceBeforeTheUpstreamFinishes() throws Exception {
        CountDownLatch clientHasFirst = new CountDownLatch(1);
        try (RawUpstream upstream = trickling("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n",
                "first;", clientHasFirst, "second;");
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(conf -> conf.http("flush_interval", 100))
                        .api(TykApi.keyless("api", "/api", upstream.url()))
                        .start();
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("GET /api/t HTTP/1.1\r\nHost: x\r\n\r\n");
            Http1.readHead(client.in());
            assertEquals("first;", readPiece(client.in(), 6));
            clientHasFirst.countDown();
            assertEquals("second;", new String(Http1.readExactly(client.in(), 7), StandardCharsets.UTF_8));
        }
    }

    @Test
    void chunkedRequestBodyReachesTheUpstreamBeforeTheClientSendsTheRest() throws Exception {
        CountDownLatch upstreamHasFirst = new CountDownLatch(1);
        AtomicReference<String> firstSeen = new AtomicReference<>();
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            Http1.Head head = conn.readRequestHead();
            assertTrue(head.chunked(), "a chunked upload stays chunked: " + head);
            firstSeen.set(new String(Http1.readChunk(conn.in()), StandardCharsets.UTF_8));
            upstreamHasFirst.countDown();
            StringBuilder rest = new StringBuilder();
            byte[] piece;
            while ((piece = Http1.readChunk(conn.in())) != null) {
                rest.append(new String(piece, StandardCharsets.UTF_8));
            }
            conn.respond(200, firstSeen.get() + "|" + rest);
            conn.awaitClose();
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("POST /api/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + chunk("part-one"));
            assertTrue(upstreamHasFirst.await(PIECE_DEADLINE.toSeconds(), TimeUnit.SECONDS),
                    "the first chunk did not reach the upstream before the rest was sent");
            assertEquals("part-one", firstSeen.get());
            client.send(chunk("part-two") + chunk("-and-three") + LAST_CHUNK);
            Http1.Response response = client.readResponse();
            assertEquals(200, response.status());
            assertEquals("part-one|part-two-and-three", response.bodyText());
        }
    }

    @Test
    void knownLengthRequestBodyReachesTheUpstreamBeforeTheClientSendsTheRest() throws Exception {
        CountDownLatch upstreamHasFirst = new CountDownLatch(1);
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            Http1.Head head = conn.readRequestHead();
            assertEquals("16", head.header("Content-Length"));
            String first = new String(Http1.readExactly(conn.in(), 8), StandardCharsets.UTF_8);
            upstreamHasFirst.countDown();
            String rest = new String(Http1.readExactly(conn.in(), 8), StandardCharsets.UTF_8);
            conn.respond(200, first + "|" + rest);
            conn.awaitClose();
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("PUT /api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\nfirst-8b");
            assertTrue(upstreamHasFirst.await(PIECE_DEADLINE.toSeconds(), TimeUnit.SECONDS),
                    "the first bytes did not reach the upstream before the rest was sent");
            client.send("second8b");
            assertEquals("first-8b|second8b", client.readResponse().bodyText());
        }
    }

    @Test
    void trailersCrossTheGatewayBothWays() throws Exception {
        List<String> requestTrailers = new ArrayList<>();
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            conn.readRequestHead();
            while (Http1.readChunk(conn.in(), requestTrailers) != null) {
                // body
            }
            conn.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Digest\r\n\r\n"
                    + chunk("payload") + "0\r\nX-Digest: sha-256=abc\r\n\r\n");
            conn.awaitClose();
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("POST /api/t HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + chunk("upload") + "0\r\nX-Upload-Digest: crc32=1\r\n\r\n");
            Http1.Head head = Http1.readHead(client.in());
            assertEquals(200, head.status());
            List<String> responseTrailers = new ArrayList<>();
            assertEquals("payload", new String(Http1.readChunk(client.in()), StandardCharsets.UTF_8));
            assertEquals(null, Http1.readChunk(client.in(), responseTrailers));
            assertEquals(List.of("X-Digest: sha-256=abc"), responseTrailers);
            assertEquals(List.of("X-Upload-Digest: crc32=1"), requestTrailers);
        }
    }

    @Test
    void serverSentEventsArriveOneByOne() throws Exception {
        assertEventsArriveOneByOne(0);
    }

    @Test
    void serverSentEventsArriveOneByOneEvenWithFlushInterval() throws Exception {
        assertEventsArriveOneByOne(60_000);
    }

    private void assertEventsArriveOneByOne(int flushIntervalMillis) throws Exception {
        int events = 5;
        CountDownLatch[] clientHas = new CountDownLatch[events];
        for (int i = 0; i < events; i++) {
            clientHas[i] = new CountDownLatch(1);
        }
        try (TestUpstream upstream = TestUpstream.start("sse", (HttpExchange exchange) -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.getResponseHeaders().set("Cache-Control", "no-cache");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < events; i++) {
                    out.write(("id: " + i + "\ndata: event " + i + "\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    if (!clientHas[i].await(10, TimeUnit.SECONDS)) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(conf -> conf.http("flush_interval", flushIntervalMillis))
                        .api(TykApi.keyless("sse", "/events", upstream.url()))
                        .start()) {
            HttpResponse<InputStream> response = Clients.http().send(
                    Clients.request(gateway.uri("/events/stream")).header("Accept", "text/event-stream").build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, response.statusCode());
            assertEquals("text/event-stream", response.headers().firstValue("Content-Type").orElseThrow());
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(),
                    StandardCharsets.UTF_8))) {
                for (int i = 0; i < events; i++) {
                    int event = i;
                    String[] read = assertTimeoutPreemptively(PIECE_DEADLINE,
                            () -> new String[] {lines.readLine(), lines.readLine(), lines.readLine()},
                            "event " + i + " was held back by the gateway");
                    assertArrayEquals(new String[] {"id: " + event, "data: event " + event, ""}, read);
                    clientHas[i].countDown();
                }
                assertEquals(null, lines.readLine(), "the stream ends when the upstream ends it");
            }
        }
    }

    @Test
    void flushIntervalDoesNotThrottleALargeKnownLengthBody() throws Exception {
        long size = 16L * 1024 * 1024;
        try (TestUpstream upstream = TestUpstream.start("bulk", exchange -> {
            exchange.sendResponseHeaders(200, size);
            try (OutputStream out = exchange.getResponseBody()) {
                new PatternStream(size).transferTo(out);
            }
        });
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(conf -> conf.http("flush_interval", 1000))
                        .api(TykApi.keyless("bulk", "/bulk", upstream.url()))
                        .start()) {
            // Flushing only when the interval fires would move one write buffer (64 KiB) per second: 256 s here.
            Checksum got = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                HttpResponse<InputStream> response = Clients.http().send(
                        Clients.request(gateway.uri("/bulk/known")).build(), HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream body = response.body()) {
                    return Checksum.of(body);
                }
            });
            assertEquals(Checksum.of(new PatternStream(size)), got);
        }
    }

    @Test
    void flushIntervalDeliversKnownLengthAndChunkedBodiesWhole() throws Exception {
        long size = 3L * 1024 * 1024 + 17;
        try (TestUpstream upstream = TestUpstream.start("bulk", exchange -> {
            boolean chunked = exchange.getRequestURI().getPath().endsWith("/chunked");
            exchange.sendResponseHeaders(200, chunked ? 0 : size);
            PatternStream data = new PatternStream(size);
            try (OutputStream out = exchange.getResponseBody()) {
                data.transferTo(out);
            }
        });
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(conf -> conf.http("flush_interval", 50))
                        .api(TykApi.keyless("bulk", "/bulk", upstream.url()))
                        .start()) {
            Checksum want = Checksum.of(new PatternStream(size));
            for (String path : new String[] {"/bulk/known", "/bulk/chunked", "/bulk/known"}) {
                HttpResponse<InputStream> response = Clients.http().send(Clients.request(gateway.uri(path)).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertEquals(200, response.statusCode());
                try (InputStream body = response.body()) {
                    assertEquals(want, Checksum.of(body), path);
                }
            }
        }
    }
}
