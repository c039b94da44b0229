package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.http.support.Clients;
import dev.gateway.http.support.Http1;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's own endpoints ({@link LocalService}) get whole requests, body included, over HTTP/1.1 and HTTP/2,
 * ahead of any API; answer when they like; and never hold more than their body limit.
 */
class LocalServiceTest {

    @TempDir
    Path dir;

    /** Echoes what it was given, after the test lets it when the path is /own/wait. */
    private final LinkedBlockingQueue<LocalRequest> seen = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> release = new CompletableFuture<>();
    private final LocalService echo = new LocalService() {
        @Override
        public boolean serves(String path) {
            return path.startsWith("/own/");
        }

        @Override
        public CompletionStage<FilterDecision.Answer> answer(LocalRequest request) {
            seen.add(request);
            if (request.path().equals("/own/fail")) {
                throw new IllegalStateException("the service broke");
            }
            String json = "{\"method\":\"" + request.method() + "\",\"bytes\":" + request.body().length
                    + ",\"query\":\"" + request.query() + "\"}";
            FilterDecision.Answer answer = FilterDecision.Answer.json(HttpResponseStatus.CREATED, json);
            return request.path().equals("/own/wait") ? release.thenApply(v -> answer)
                    : CompletableFuture.completedFuture(answer);
        }
    };

    private TestUpstream upstream;
    private ProxyUnderTest gateway;

    @BeforeEach
    void start() throws Exception {
        upstream = TestUpstream.start("up");
        gateway = ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .api(TykApi.keyless("root", "/", upstream.url()))
                .local(LocalService.first(new StatusEndpoint("/hello", () -> ProxyUnderTest.STATUS_BODY), echo))
                .start();
    }

    @AfterEach
    void stop() throws Exception {
        gateway.close();
        upstream.close();
    }

    @Test
    void aBodyArrivesWholeOverBothProtocols() throws Exception {
        byte[] body = new byte[300_000];
        for (HttpClient.Version version : HttpClient.Version.values()) {
            HttpClient client = HttpClient.newBuilder().version(version).build();
            // A body does not ride on an h2c upgrade request (its server buffers it whole): a GET upgrades first.
            client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/hello")).build(),
                    HttpResponse.BodyHandlers.discarding());
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + gateway.port() + "/own/keys?a=1"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, response.statusCode(), version.toString());
            assertEquals(version, response.version());
            assertEquals("{\"method\":\"POST\",\"bytes\":300000,\"query\":\"a=1\"}", response.body());
            LocalRequest request = seen.poll(5, TimeUnit.SECONDS);
            assertEquals("/own/keys", request.path());
        }
        HttpResponse<String> status = Clients.get(URI.create("http://127.0.0.1:" + gateway.port() + "/hello"));
        assertEquals(ProxyUnderTest.STATUS_BODY, status.body(), "the status endpoint is a local service too");
        assertEquals(0, upstream.requestCount());
    }

    @Test
    void pipelinedRequestsWaitForALateAnswerInOrder() throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            client.send("POST /own/wait HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /api/after HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("/own/wait", seen.poll(5, TimeUnit.SECONDS).path());
            assertEquals(0, upstream.requestCount(), "the next request waits for the answer");
            release.complete(null);
            Http1.Response first = client.readResponse();
            assertEquals(201, first.status());
            assertEquals("{\"method\":\"POST\",\"bytes\":3,\"query\":\"\"}", first.bodyText());
            assertEquals("up", client.readResponse().bodyText());
        }
    }

    @Test
    void aBodyOverTheLimitIs413AndTheServiceNeverAsked() throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            int size = LocalService.MAX_BODY_BYTES + 1;
            client.send(("PUT /own/big HTTP/1.1\r\nHost: x\r\nContent-Length: " + size + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            for (int sent = 0; sent < size; sent += chunk.length) {
                client.send(chunk);
            }
            Http1.Response response = client.readResponse();
            assertEquals(413, response.status());
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)).toMillis() >= 0);
        }
        assertEquals(null, seen.poll(200, TimeUnit.MILLISECONDS));
    }

    @Test
    void aServiceThatThrowsIs500AndTheConnectionServesOn() throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            Http1.Response failed = client.get("/own/fail");
            assertEquals(500, failed.status());
            assertEquals("{\"status\":\"error\",\"message\":\"internal error\"}", failed.bodyText());
            assertEquals("up", client.get("/api").bodyText());
        }
    }

    @Test
    void aClientThatLeavesMidBodyHoldsNothing() throws Exception {
        try (RawClient client = RawClient.connect(gateway.port())) {
            client.send("POST /own/keys HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(5000));
        }
        CountDownLatch served = new CountDownLatch(1);
        try (RawClient client = RawClient.connect(gateway.port())) {
            assertEquals(201, client.get("/own/after").status());
            served.countDown();
        }
        assertTrue(served.await(1, TimeUnit.SECONDS));
        assertEquals("/own/after", seen.poll(5, TimeUnit.SECONDS).path(), "the cut request never reached it");
    }
}
