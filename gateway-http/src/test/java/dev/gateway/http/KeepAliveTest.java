package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.http.support.Clients;
import dev.gateway.http.support.Http1;
import dev.gateway.http.support.OneUpstreamTest;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.RawUpstream;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Connection reuse on both sides of the gateway, and the HTTP/1.0 and {@code Connection: close} exceptions. */
class KeepAliveTest extends OneUpstreamTest {

    private static final int REQUESTS = 20;

    @Test
    void sequentialRequestsOnOneClientConnectionUseOneUpstreamConnection() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            for (int i = 0; i < REQUESTS; i++) {
                Http1.Response response = client.get("/api/n/" + i);
                assertEquals(200, response.status(), "request " + i);
                assertNull(response.header("Connection"), "request " + i);
            }
            assertEquals(REQUESTS, upstream.requestCount());
            assertEquals(1, upstream.connectionCount(), "the upstream connection is pooled and reused");
            assertEquals(1, gateway.acceptedConnections());
        }
    }

    @Test
    void jdkClientReusesItsConnectionAndTheGatewayReusesTheUpstreamOne() throws Exception {
        HttpClient client = Clients.newClient();
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()))) {
            for (int i = 0; i < REQUESTS; i++) {
                HttpResponse<String> response = client.send(Clients.request(gateway.uri("/api/n/" + i)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
            }
            assertEquals(1, gateway.acceptedConnections(), "the client's connection stayed open for reuse");
            assertEquals(1, upstream.connectionCount());
        }
    }

    @Test
    void http10ClientWithoutKeepAliveGetsConnectionClose() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("GET /api/old HTTP/1.0\r\n\r\n");
            Http1.Response response = client.readResponse();
            assertEquals("HTTP/1.0 200 OK", response.head().startLine());
            assertEquals("close", response.header("Connection"));
            assertEquals("up", response.bodyText());
            client.awaitClosed(Duration.ofSeconds(5));
            assertEquals("127.0.0.1:" + upstream.port(), upstream.takeRequest().header("Host"));
        }
    }

    @Test
    void http10ClientAskingForKeepAliveKeepsTheConnection() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            for (int i = 0; i < 3; i++) {
                client.send("GET /api/old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                Http1.Response response = client.readResponse();
                assertEquals("HTTP/1.0 200 OK", response.head().startLine());
                assertEquals("keep-alive", response.header("Connection"));
                assertEquals("up", response.bodyText());
            }
            assertEquals(1, gateway.acceptedConnections());
        }
    }

    @Test
    void http10ClientGetsACloseDelimitedBodyWhenTheUpstreamChunks() throws Exception {
        try (TestUpstream chunking = TestUpstream.start("chunking", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("part one, ".getBytes(StandardCharsets.UTF_8));
                out.flush();
                out.write("part two".getBytes(StandardCharsets.UTF_8));
            }
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", chunking.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("GET /api/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            Http1.Response response = client.readResponse();
            assertEquals("HTTP/1.0 200 OK", response.head().startLine());
            assertFalse(response.head().has("Transfer-Encoding"), "HTTP/1.0 has no chunked coding");
            assertEquals("close", response.header("Connection"));
            assertEquals("part one, part two", response.bodyText());
        }
    }

    @Test
    void clientConnectionCloseEndsTheClientConnectionButKeepsTheUpstreamOne() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()))) {
            for (int i = 0; i < 6; i++) {
                try (RawClient client = RawClient.connect(gateway.port())) {
                    Http1.Response response = client.get("/api/x", "Connection: close");
                    assertEquals(200, response.status());
                    assertEquals("close", response.header("Connection"));
                    client.awaitClosed(Duration.ofSeconds(5));
                }
            }
            // Connection: close is hop-by-hop. Pools are per event loop, so each loop keeps one connection.
            assertTrue(upstream.connectionCount() <= ProxyUnderTest.WORKER_THREADS,
                    "upstream connections: " + upstream.connectionCount());
        }
    }

    @Test
    void upstreamConnectionCloseIsNotReusedButTheClientConnectionIs() throws Exception {
        try (RawUpstream closing = RawUpstream.start(conn -> {
            conn.readRequest();
            conn.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", closing.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            for (int i = 0; i < 3; i++) {
                Http1.Response response = client.get("/api/x");
                assertEquals(200, response.status());
                assertNull(response.header("Connection"), "the upstream's close is its own business");
                assertEquals("ok", response.bodyText());
            }
            assertEquals(3, closing.accepted());
            assertEquals(1, gateway.acceptedConnections());
        }
    }

    @Test
    void closeConnectionsSettingClosesBothSidesAfterEachExchange() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                .conf(conf -> conf.put("close_connections", true))
                .api(TykApi.keyless("api", "/api", upstream.url()))
                .start()) {
            for (int i = 0; i < 3; i++) {
                try (RawClient client = RawClient.connect(gateway.port())) {
                    Http1.Response response = client.get("/api/x");
                    assertEquals(200, response.status());
                    assertEquals("close", response.header("Connection"));
                    client.awaitClosed(Duration.ofSeconds(5));
                }
                assertEquals("close", upstream.takeRequest().header("Connection"));
            }
            assertEquals(3, upstream.connectionCount());
        }
    }
}
