package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.http.support.Clients;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An API's request filters, through real sockets: they run in order before the upstream is chosen, over HTTP/1.1
 * and HTTP/2 alike; a refusal is the client's answer; a filter that decides later holds the request and its body
 * until it does; a filter that fails refuses with 500; a client that leaves while a filter decides costs nothing.
 */
class RequestFilterTest {

    @TempDir
    Path dir;

    enum Version {
        HTTP_1_1(HttpClient.Version.HTTP_1_1),
        HTTP_2(HttpClient.Version.HTTP_2);

        final HttpClient.Version client;

        Version(HttpClient.Version client) {
            this.client = client;
        }
    }

    private ProxyUnderTest gateway(TestUpstream upstream, RequestFilter... filters) throws Exception {
        return ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .api(TykApi.keyless("api", "/api", upstream.url()))
                .api(TykApi.keyless("open", "/open", upstream.url()))
                .filters(api -> api.apiId().equals("api") ? List.of(filters) : List.of())
                .start();
    }

    private static HttpClient client(Version version) {
        return HttpClient.newBuilder().version(version.client).connectTimeout(Clients.REQUEST_TIMEOUT).build();
    }

    /** Response filters for the API {@code api} only. */
    private ProxyUnderTest gatewayWithResponseFilters(TestUpstream upstream, ResponseFilter... filters)
            throws Exception {
        return ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .api(TykApi.keyless("api", "/api", upstream.url()))
                .api(TykApi.keyless("open", "/open", upstream.url()))
                .filters(RequestFilters.of(api -> List.of(),
                        api -> api.apiId().equals("api") ? List.of(filters) : List.of()))
                .start();
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void responseFiltersChangeTheHeadTheClientSeesOnTheirApiOnly(Version version) throws Exception {
        ResponseFilter first = (request, head) -> head.headers().set("x-seen-by",
                request.route().apiId() + " " + head.status().code() + " " + request.head().uri());
        ResponseFilter second = (request, head) -> head.headers().add("x-second", head.headers().get("x-seen-by"));
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = gatewayWithResponseFilters(upstream, first, second)) {
            HttpResponse<String> filtered = client(version).send(Clients.request(gateway.uri("/api/x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> open = client(version).send(Clients.request(gateway.uri("/open/x")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(200, filtered.statusCode());
            assertEquals("up", filtered.body());
            // The request as it went upstream: the listen path stripped.
            assertEquals("api 200 /x", filtered.headers().firstValue("x-seen-by").orElse(null));
            assertEquals("api 200 /x", filtered.headers().firstValue("x-second").orElse(null));
            assertTrue(open.headers().firstValue("x-seen-by").isEmpty(), "another API's response was filtered");
        }
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void aResponseFilterThatThrowsFailsTheExchangeWith500AndTheConnectionGoesOn(Version version) throws Exception {
        ResponseFilter broken = (request, head) -> {
            throw new IllegalStateException("bug in a response filter");
        };
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = gatewayWithResponseFilters(upstream, broken)) {
            HttpClient client = client(version);
            HttpResponse<String> failed = client.send(Clients.request(gateway.uri("/api/x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> next = client.send(Clients.request(gateway.uri("/open/x")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(500, failed.statusCode());
            assertTrue(failed.body().contains(ProxyFailure.FILTER_FAILED.message()), failed.body());
            assertEquals(200, next.statusCode());
        }
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void filtersRunInOrderAndTheUpstreamSeesTheirHeaders(Version version) throws Exception {
        RequestFilter first = request -> {
            request.head().headers().set("x-first", request.route().apiId());
            return FilterDecision.proceed();
        };
        RequestFilter second = request -> {
            request.head().headers().set("x-second", "saw " + request.head().headers().get("x-first"));
            return FilterDecision.proceed();
        };
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = gateway(upstream, first, second)) {
            HttpResponse<String> response = client(version).send(Clients.request(gateway.uri("/api/x")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(200, response.statusCode());
            assertEquals(version.client, response.version());
            TestUpstream.Recorded seen = upstream.takeRequest();
            assertEquals("api", seen.header("x-first"));
            assertEquals("saw api", seen.header("x-second"));
        }
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void aRefusalIsTheAnswerAndNothingReachesTheUpstream(Version version) throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = gateway(upstream, request -> FilterDecision.refuse(ProxyFailure.ACCESS_DENIED),
                        request -> {
                            throw new AssertionError("a filter after a refusal ran");
                        })) {
            HttpResponse<String> refused = client(version).send(Clients.request(gateway.uri("/api/x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> open = client(version).send(Clients.request(gateway.uri("/open/x")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(403, refused.statusCode());
            assertEquals("{\"error\": \"Access to this API has been disallowed\"}", refused.body().trim());
            assertEquals(200, open.statusCode(), "an API without filters is not touched");
            assertEquals("/x", upstream.takeRequest().target());
            assertEquals(1, upstream.requestCount(), "the refused request never went upstream");
        }
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void aLaterDecisionHoldsTheRequestAndItsBodyUntilItComes(Version version) throws Exception {
        CompletableFuture<FilterDecision> decision = new CompletableFuture<>();
        CountDownLatch asked = new CountDownLatch(1);
        byte[] body = new byte[300 * 1024];
        Arrays.fill(body, (byte) 'b');
        try (TestUpstream upstream = TestUpstream.start("up", exchange -> {
                    byte[] received = exchange.getRequestBody().readAllBytes();
                    TestUpstream.respond(exchange, 200, "got " + received.length);
                });
                ProxyUnderTest gateway = gateway(upstream, request -> {
                    asked.countDown();
                    return FilterDecision.later(decision);
                })) {
            HttpClient client = client(version);
            // Over h2c the JDK client upgrades on its first request; an upgrade carries at most 64 KiB of body.
            assertEquals(200, client.send(Clients.request(gateway.uri("/open/warm")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            upstream.takeRequest();
            CompletableFuture<HttpResponse<String>> response = client.sendAsync(
                    Clients.request(gateway.uri("/api/upload")).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                            .build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(asked.await(10, TimeUnit.SECONDS), "the filter was never asked");
            assertEquals(1, upstream.requestCount(), "the request went upstream before the decision");

            // Decided on another thread, as a store's answer would come.
            new Thread(() -> decision.complete(FilterDecision.proceed())).start();

            assertEquals("got " + body.length, response.get(15, TimeUnit.SECONDS).body());
            assertEquals(200, response.get().statusCode());
        }
    }

    @Test
    void aLaterRefusalIsTheAnswer() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = gateway(upstream, request -> FilterDecision.later(
                        CompletableFuture.supplyAsync(() -> FilterDecision.refuse(ProxyFailure.ACCESS_DENIED))))) {
            HttpResponse<String> response = Clients.get(gateway.uri("/api/x"));

            assertEquals(403, response.statusCode());
            assertEquals(0, upstream.requestCount());
        }
    }

    @Test
    void aFilterThatThrowsOrFailsRefusesWith500AndTheConnectionGoesOn() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = gateway(upstream, request -> {
                    if (request.head().uri().endsWith("/throw")) {
                        throw new IllegalStateException("broken filter");
                    }
                    return FilterDecision.later(CompletableFuture.failedFuture(new IllegalStateException("no store")));
                })) {
            HttpClient client = client(Version.HTTP_1_1);
            HttpResponse<String> thrown = client.send(Clients.request(gateway.uri("/api/throw")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> failed = client.send(Clients.request(gateway.uri("/api/fail")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> open = client.send(Clients.request(gateway.uri("/open/x")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(500, thrown.statusCode());
            assertEquals(500, failed.statusCode());
            assertEquals(200, open.statusCode());
            assertEquals(1, gateway.acceptedConnections(), "a refusal keeps the connection alive");
        }
    }

    @Test
    void aClientThatLeavesWhileAFilterDecidesCostsNothing() throws Exception {
        CompletableFuture<FilterDecision> decision = new CompletableFuture<>();
        CountDownLatch asked = new CountDownLatch(1);
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = gateway(upstream, request -> {
                    asked.countDown();
                    return FilterDecision.later(decision);
                })) {
            try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
                // A head and part of a body: the rest never comes, and the client leaves.
                socket.getOutputStream().write(("POST /api/x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n"
                        + "partial").getBytes(StandardCharsets.US_ASCII));
                assertTrue(asked.await(10, TimeUnit.SECONDS), "the filter was never asked");
            }
            // The gateway reads nothing while a filter decides, so it learns of the close only when it reads on:
            // the request may start upstream, and then ends with the client's. Its body parts are released either
            // way (paranoid leak detection fails the test otherwise), and the gateway goes on serving.
            decision.complete(FilterDecision.proceed());

            assertEquals(200, Clients.get(gateway.uri("/open/x")).statusCode());
        }
    }

    @Test
    void aFilterThatNeverDecidesIsCutOffAtTheProxyTimeout() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(c -> c.put("proxy_default_timeout", 1))
                        .api(TykApi.keyless("api", "/api", upstream.url()))
                        .filters(api -> List.of(request -> FilterDecision.later(new CompletableFuture<>())))
                        .start()) {
            long start = System.nanoTime();
            HttpResponse<String> response = Clients.get(gateway.uri("/api/x"));

            assertEquals(500, response.statusCode());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "not cut off in time");
            assertEquals(0, upstream.requestCount());
        }
    }
}
