package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gateway.http.support.Http1;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Requests sent back to back in one write are answered one by one, in order (RFC 9112 section 9.3.2). */
class PipeliningTest {

    @TempDir
    Path dir;

    private TestUpstream upstream;

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = TestUpstream.start("echo", exchange -> {
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            TestUpstream.respond(exchange, 200, exchange.getRequestMethod() + " "
                    + exchange.getRequestURI().getPath() + (body.isEmpty() ? "" : " " + body));
        });
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    @Test
    void twoGetsInOneWriteGetTwoResponsesInOrder() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("GET /api/one HTTP/1.1\r\nHost: x\r\n\r\nGET /api/two HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("GET /one", client.readResponse().bodyText());
            assertEquals("GET /two", client.readResponse().bodyText());
            assertEquals(1, upstream.connectionCount());
        }
    }

    @Test
    void pipelinedBodiesLocalAnswersAndProxiedAnswersKeepTheirOrder() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("POST /api/first HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /api/third HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Http1.chunk("chunked ") + Http1.chunk("body") + Http1.LAST_CHUNK
                    + "GET /api/fourth HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("POST /first hello", client.readResponse().bodyText());
            Http1.Response local = client.readResponse();
            assertEquals(404, local.status());
            assertEquals("{\"error\": \"no API matches this request\"}", local.bodyText());
            assertEquals("POST /third chunked body", client.readResponse().bodyText());
            assertEquals("GET /fourth", client.readResponse().bodyText());
        }
    }

    @Test
    void pipelinedRequestWhoseBodyIsStillArrivingIsReadOnceItsTurnComes() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("POST /api/first HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                    + "POST /api/second HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
            assertEquals("POST /first hello", client.readResponse().bodyText());
            client.send("67890");
            assertEquals("POST /second 1234567890", client.readResponse().bodyText());
        }
    }
}
