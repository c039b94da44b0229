package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.http.support.Checksum;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.HeapWatch;
import dev.gateway.http.support.PatternStream;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gigabyte each way through the gateway, generated on the fly and checked by length and CRC-32 at the far end,
 * while memory is sampled: streaming must keep the gateway's footprint flat however large the body.
 */
class LargeBodyTest {

    private static final long GIB = 1024L * 1024 * 1024;

    /** Far below the gigabyte moved; the JVM runs with -Xmx1g, so gathering the body could not even fit. */
    private static final long MAX_HEAP = 300 * HeapWatch.MIB;

    /** The gateway's buffers are direct; a few water marks' worth per connection is all it may hold. */
    private static final long MAX_NETTY_DIRECT = 64 * HeapWatch.MIB;

    private static Checksum expected;

    @TempDir
    Path dir;

    @Test
    void uploadsOneGibibyteWithBoundedMemory() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("sink", exchange -> {
            Checksum received;
            try (InputStream body = exchange.getRequestBody()) {
                received = Checksum.of(body);
            }
            TestUpstream.respond(exchange, 200, received.bytes() + " " + received.crc());
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("big", "/big", upstream.url()))) {
            HttpRequest request = Clients.request(gateway.uri("/big/upload"))
                    .timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.fromPublisher(
                            HttpRequest.BodyPublishers.ofInputStream(() -> new PatternStream(GIB)), GIB))
                    .build();
            long start = System.nanoTime();
            try (HeapWatch memory = HeapWatch.start()) {
                HttpResponse<String> response = Clients.newClient().send(request, HttpResponse.BodyHandlers.ofString());
                report("upload", start, memory);
                assertEquals(200, response.statusCode(), response.body());
                Checksum expected = expected();
                assertEquals(expected.bytes() + " " + expected.crc(), response.body());
                assertBounded(memory);
            }
        }
    }

    @Test
    void downloadsOneGibibyteWithBoundedMemory() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("source", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
            exchange.sendResponseHeaders(200, GIB);
            try (OutputStream out = exchange.getResponseBody()) {
                new PatternStream(GIB).transferTo(out);
            }
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("big", "/big", upstream.url()))) {
            long start = System.nanoTime();
            try (HeapWatch memory = HeapWatch.start()) {
                HttpResponse<InputStream> response = Clients.newClient().send(
                        Clients.request(gateway.uri("/big/download")).timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertEquals(200, response.statusCode());
                assertEquals(String.valueOf(GIB), response.headers().firstValue("Content-Length").orElseThrow());
                Checksum received;
                try (InputStream body = response.body()) {
                    received = Checksum.of(body);
                }
                report("download", start, memory);
                assertEquals(expected(), received);
                assertBounded(memory);
            }
        }
    }

    /** Length and CRC-32 of the generated gigabyte, worked out here rather than shared across threads. */
    private static synchronized Checksum expected() throws IOException {
        if (expected == null) {
            expected = Checksum.of(new PatternStream(GIB));
        }
        return expected;
    }

    private static void assertBounded(HeapWatch memory) {
        assertTrue(memory.maxHeapUsed() < MAX_HEAP, "heap grew with the body: " + memory.summary());
        assertTrue(memory.maxNettyDirect() < MAX_NETTY_DIRECT, "gateway buffers grew with the body: "
                + memory.summary());
    }

    private static void report(String what, long startNanos, HeapWatch memory) {
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        System.out.printf("%s of 1 GiB took %d ms; %s%n", what, millis, memory.summary());
    }
}
