package dev.gateway.http;

import static dev.gateway.http.support.Http1.LAST_CHUNK;
import static dev.gateway.http.support.Http1.chunk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.http.support.Http1;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.TcpQueues;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests the gateway must refuse, written byte for byte on raw sockets. Each refusal is checked for its status,
 * its JSON body and a closed connection; then a fresh connection must still be served, and nothing smuggled in
 * the refused bytes may have reached the upstream.
 */
class MalformedRequestTest {

    private static final int MAX_BODY = 1024;
    private static final String SMUGGLED = "GET /api/smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

    private static final String BAD_REQUEST = "{\"error\": \"malformed request\"}";

    @TempDir
    Path dir;

    private TestUpstream upstream;
    private ProxyUnderTest gateway;

    @BeforeEach
    void start() throws Exception {
        upstream = TestUpstream.start("up");
        gateway = ProxyUnderTest.builder(dir)
                .conf(conf -> conf.http("max_request_body_size", MAX_BODY))
                .api(TykApi.keyless("api", "/api", upstream.url()))
                .start();
    }

    @AfterEach
    void stop() {
        gateway.close();
        upstream.close();
    }

    /** Sends {@code request} in one write and checks the refusal. */
    private void assertRefused(String request, int status, String body) throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            client.send(request);
            assertRefusal(client, status, body);
        }
        assertGatewayStillServes();
    }

    private void assertRefusal(RawClient client, int status, String body) throws IOException {
        Http1.Response response = client.readResponse();
        assertEquals(status, response.status(), response.bodyText());
        assertEquals("application/json", response.header("Content-Type"));
        assertEquals(body, response.bodyText());
        assertEquals("close", response.header("Connection"));
        client.awaitClosed(Duration.ofSeconds(5));
    }

    /** A new connection is served, and the upstream has seen nothing but well-formed requests. */
    private void assertGatewayStillServes() throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            Http1.Response response = client.get("/api/ok");
            assertEquals(200, response.status());
            assertEquals("up", response.bodyText());
        }
        List<String> seen = upstream.pendingRequests().stream().map(TestUpstream.Recorded::target).toList();
        assertTrue(seen.stream().allMatch("/ok"::equals), "the upstream saw " + seen);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET /api/x HTTP/1\r\nHost: x\r\n\r\n",
        "GET /api/x FTP/1.1\r\nHost: x\r\n\r\n",
        "GET /api/x HTTP/1.1 trailing\r\nHost: x\r\n\r\n",
        "G(T /api/x HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET\r\nHost: x\r\n\r\n",
        "GET /api/x\r\nHost: x\r\n\r\n",
    })
    void malformedRequestLineIs400(String request) throws Exception {
        assertRefused(request, 400, BAD_REQUEST);
    }

    @Test
    void unknownHttpVersionIs505() throws Exception {
        assertRefused("GET /api/x HTTP/9.9\r\nHost: x\r\n\r\n", 505,
                "{\"error\": \"HTTP version not supported\"}");
        assertEquals(1, upstream.requestCount(), "only the follow-up request reached the upstream");
    }

    @Test
    void requestLineLongerThanTheLimitIs414() throws Exception {
        String path = "/api/" + "a".repeat(HttpSettings.MAX_REQUEST_LINE);
        assertRefused("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n", 414,
                "{\"error\": \"request line too long\"}");
    }

    @Test
    void requestLineJustUnderTheLimitIsServed() throws Exception {
        String prefix = "GET /api/";
        String suffix = " HTTP/1.1";
        String path = "/api/" + "a".repeat(HttpSettings.MAX_REQUEST_LINE - prefix.length() - suffix.length() - 1);
        try (RawClient client = RawClient.connect(gateway.port())) {
            assertEquals(200, client.get(path).status());
        }
    }

    @Test
    void headersLargerThanTheLimitAre431() throws Exception {
        StringBuilder request = new StringBuilder("GET /api/x HTTP/1.1\r\nHost: x\r\n");
        String value = "v".repeat(1000);
        for (int i = 0; i * 1000 <= HttpSettings.MAX_REQUEST_HEADERS; i++) {
            request.append("X-Filler-").append(i).append(": ").append(value).append("\r\n");
        }
        assertRefused(request.append("\r\n").toString(), 431, "{\"error\": \"request headers too large\"}");
    }

    @Test
    void declaredBodyOverTheLimitIs413() throws Exception {
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: " + (MAX_BODY + 1) + "\r\n\r\n"
                + "b".repeat(MAX_BODY + 1), 413, "{\"error\": \"request body too large\"}");
        assertEquals(1, upstream.requestCount(), "only the follow-up request reached the upstream");
    }

    @Test
    void chunkedBodyCrossingTheLimitIs413() throws Exception {
        String piece = "c".repeat(400);
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunk(piece) + chunk(piece) + chunk(piece) + LAST_CHUNK, 413,
                "{\"error\": \"request body too large\"}");
    }

    @Test
    void bodyAtTheLimitIsServed() throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            client.send("POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: " + MAX_BODY + "\r\n\r\n"
                    + "b".repeat(MAX_BODY));
            assertEquals(200, client.readResponse().status());
        }
    }

    @Test
    void contentLengthWithTransferEncodingIs400AndSmugglesNothing() throws Exception {
        String body = LAST_CHUNK + SMUGGLED;
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length()
                + "\r\nTransfer-Encoding: chunked\r\n\r\n" + body, 400, BAD_REQUEST);
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
                + body, 400, BAD_REQUEST);
    }

    @Test
    void twoDifferentContentLengthsAre400() throws Exception {
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 46\r\n\r\nhello"
                + SMUGGLED, 400, BAD_REQUEST);
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 46\r\n\r\nhello" + SMUGGLED, 400,
                BAD_REQUEST);
    }

    @Test
    void contentLengthThatIsNotDigitsIs400() throws Exception {
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", 400, BAD_REQUEST);
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\nhello", 400, BAD_REQUEST);
    }

    @Test
    void http11RequestWithoutHostIs400() throws Exception {
        assertRefused("GET /api/x HTTP/1.1\r\nX-A: 1\r\n\r\n", 400, BAD_REQUEST);
    }

    @Test
    void twoHostHeadersAre400() throws Exception {
        assertRefused("GET /api/x HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", 400, BAD_REQUEST);
    }

    @Test
    void bareCarriageReturnInAHeaderIs400() throws Exception {
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nX-A: a\rTransfer-Encoding: chunked\r\n"
                + "Content-Length: 5\r\n\r\nhello", 400, BAD_REQUEST);
    }

    @Test
    void obsoleteLineFoldingIs400() throws Exception {
        assertRefused("GET /api/x HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  continued\r\n\r\n", 400, BAD_REQUEST);
        assertRefused("GET /api/x HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\tcontinued\r\n\r\n", 400, BAD_REQUEST);
    }

    @Test
    void obsoleteLineFoldingAfterLeadingEmptyLinesIs400() throws Exception {
        // RFC 9112 section 2.2 lets a server skip empty lines before a request line; they must not hide a fold.
        assertRefused("\r\n\r\n\r\nGET /api/x HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  continued\r\n\r\n", 400,
                BAD_REQUEST);
    }

    @Test
    void obsoleteLineFoldingInAPipelinedRequestIs400() throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            client.send("POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody\r\n\r\n"
                    + "GET /api/y HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n continued\r\n\r\n");
            assertEquals(200, client.readResponse().status());
            assertRefusal(client, 400, BAD_REQUEST);
        }
        assertEquals("/x", upstream.takeRequest().target());
        assertGatewayStillServes();
    }

    @Test
    void obsoleteLineFoldingSplitAcrossTwoWritesIs400() throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            client.send("GET /api/x HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n");
            // The fold must arrive in a read of its own: wait until the gateway has taken the first part.
            TcpQueues.awaitPeerRead(client.socket(), Duration.ofSeconds(5));
            client.send("  continued\r\n\r\n");
            assertRefusal(client, 400, BAD_REQUEST);
        }
        assertGatewayStillServes();
    }

    @Test
    void foldedTransferEncodingIs400() throws Exception {
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n chunked\r\n\r\n"
                + LAST_CHUNK + SMUGGLED, 400, BAD_REQUEST);
    }

    @Test
    void whitespaceBeforeTheColonIs400() throws Exception {
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n" + LAST_CHUNK
                + SMUGGLED, 400, BAD_REQUEST);
    }

    @Test
    void transferEncodingThatDoesNotEndInChunkedIs400() throws Exception {
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n" + SMUGGLED, 400,
                BAD_REQUEST);
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
                + LAST_CHUNK + SMUGGLED, 400, BAD_REQUEST);
    }

    @Test
    void chunkedTwiceIs400() throws Exception {
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n" + LAST_CHUNK
                + SMUGGLED, 400, BAD_REQUEST);
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
                + "\r\n\r\n" + LAST_CHUNK + SMUGGLED, 400, BAD_REQUEST);
    }

    @Test
    void otherCodingsBeforeChunkedAre501() throws Exception {
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + LAST_CHUNK,
                501, "{\"error\": \"unsupported transfer coding\"}");
    }

    @Test
    void invalidChunkSizeIs400OrClosed() throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            client.send("POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n"
                    + LAST_CHUNK + SMUGGLED);
            Http1.Head head = Http1.readHead(client.in());
            if (head != null) {
                assertEquals(400, head.status());
                byte[] body = Http1.readExactly(client.in(), (int) head.contentLength());
                assertEquals(BAD_REQUEST, new String(body, StandardCharsets.US_ASCII));
            }
            client.awaitClosed(Duration.ofSeconds(5));
        }
        assertGatewayStillServes();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a/../b", "/api/../admin", "/api/x/..", "/api/./x", "/api/%2e%2e/admin",
        "/api/%2E./admin", "/api/.%2e"})
    void dotSegmentsInThePathAre400(String path) throws Exception {
        assertRefused("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n", 400, BAD_REQUEST);
    }

    @Test
    void dotsInsideSegmentsAreServed() throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            assertEquals(200, client.get("/api/file.tar.gz").status());
            assertEquals(200, client.get("/api/..hidden/x..y/.z").status());
        }
        assertEquals("/file.tar.gz", upstream.takeRequest().target());
        assertEquals("/..hidden/x..y/.z", upstream.takeRequest().target());
    }

    @Test
    void unknownExpectationIs417() throws Exception {
        assertRefused("POST /api/x HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nContent-Length: 5\r\n\r\nhello",
                417, "{\"error\": \"unsupported expectation\"}");
    }

    @Test
    void expect100ContinueGetsContinueThenTheUpstreamResponse() throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            client.send("POST /api/x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            Http1.Head interim = Http1.readHead(client.in());
            assertEquals("HTTP/1.1 100 Continue", interim.startLine());
            client.send("hello");
            Http1.Response response = client.readResponse();
            assertEquals(200, response.status());
            assertEquals("up", response.bodyText());
        }
        TestUpstream.Recorded seen = upstream.takeRequest();
        assertEquals("POST", seen.method());
        assertNull(seen.header("Expect"), "the gateway answered the expectation itself");
    }
}
