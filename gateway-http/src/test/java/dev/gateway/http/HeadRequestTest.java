package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gateway.http.support.Http1;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.RawUpstream;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A HEAD response carries the headers a GET would, never a body: not even the last chunk of a chunked one. */
class HeadRequestTest {

    @TempDir
    Path dir;

    /** Answers HEAD with {@code headHead} and nothing more, and GET with {@code getResponse}. */
    private static RawUpstream upstream(String headHead, String getResponse) throws Exception {
        return RawUpstream.start(conn -> {
            Http1.Head request;
            while ((request = conn.readRequest()) != null) {
                conn.write(request.method().equals("HEAD") ? headHead : getResponse);
            }
        });
    }

    @Test
    void headToAChunkedUpstreamGetsHeadersOnlyAndTheConnectionStaysUsable() throws Exception {
        try (RawUpstream upstream = upstream(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nX-Kind: head\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Http1.chunk("hello") + Http1.LAST_CHUNK);
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            for (int i = 0; i < 2; i++) {
                client.send("HEAD /api/x HTTP/1.1\r\nHost: x\r\n\r\n");
                Http1.Response head = client.readResponse("HEAD");
                assertEquals(200, head.status());
                assertEquals("head", head.header("X-Kind"));
                assertEquals("text/plain", head.header("Content-Type"));
                // Had the gateway sent a body, these bytes would come before the next status line.
                Http1.Response get = client.get("/api/x");
                assertEquals(200, get.status());
                assertEquals("hello", get.bodyText());
            }
            assertEquals(1, upstream.accepted(), "the upstream connection survived the HEAD exchanges too");
        }
    }

    @Test
    void headToAKnownLengthUpstreamKeepsContentLengthWithoutABody() throws Exception {
        try (RawUpstream upstream = upstream(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("HEAD /api/x HTTP/1.1\r\nHost: x\r\n\r\n");
            Http1.Response head = client.readResponse("HEAD");
            assertEquals(200, head.status());
            assertEquals("1000", head.header("Content-Length"));
            assertEquals("hello", client.get("/api/x").bodyText());
        }
    }

    @Test
    void localAnswersToHeadHaveNoBodyEither() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = ProxyUnderTest.start(dir,
                        TykApi.keyless("api", "/api", upstream.url()),
                        TykApi.keyless("down", "/down", "http://127.0.0.1:" + closedPort));
                RawClient client = RawClient.connect(gateway.port())) {
            // 404 (no route), the status endpoint, and 502 (upstream refused), each followed by a GET on the same
            // connection: body bytes after a HEAD answer would be read as the start of the next response.
            for (String path : new String[] {"/nowhere", "/hello", "/down/x"}) {
                client.send("HEAD " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
                Http1.Response head = client.readResponse("HEAD");
                assertEquals("application/json", head.header("Content-Type"), path);
                Http1.Response get = client.get("/api/x");
                assertEquals(200, get.status(), path);
                assertEquals("up", get.bodyText(), path);
            }
        }
    }
}
