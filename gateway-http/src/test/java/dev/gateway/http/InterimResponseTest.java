package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gateway.http.support.Http1;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.RawUpstream;
import dev.gateway.http.support.TykApi;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Informational (1xx) responses an upstream sends before its final one: the gateway answers {@code Expect} itself
 * and does not relay them, but must not lose track of which response answers which request.
 */
class InterimResponseTest {

    private static final String INTERIM = "HTTP/1.1 100 Continue\r\n\r\n"
            + "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";

    @TempDir
    Path dir;

    @Test
    void interimResponsesAreDroppedAndTheFinalOneIsProxied() throws Exception {
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            Http1.Head request;
            while ((request = conn.readRequest()) != null) {
                conn.write(INTERIM + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            for (int i = 0; i < 2; i++) {
                Http1.Response response = client.get("/api/x");
                assertEquals("HTTP/1.1 200 OK", response.head().startLine());
                assertEquals("ok", response.bodyText());
            }
            assertEquals(1, upstream.accepted());
        }
    }

    @Test
    void headAfterInterimResponsesStillHasNoBody() throws Exception {
        try (RawUpstream upstream = RawUpstream.start(conn -> {
            Http1.Head request;
            while ((request = conn.readRequest()) != null) {
                conn.write(INTERIM + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
                        + (request.method().equals("HEAD") ? "" : "ok"));
            }
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("HEAD /api/x HTTP/1.1\r\nHost: x\r\n\r\n");
            Http1.Response head = client.readResponse("HEAD");
            assertEquals(200, head.status());
            assertEquals("2", head.header("Content-Length"));
            assertEquals("ok", client.get("/api/x").bodyText());
        }
    }
}
