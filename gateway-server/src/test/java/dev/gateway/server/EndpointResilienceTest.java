package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.http.support.TestUpstream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hard timeouts and circuit breakers over HTTP/1.1 and HTTP/2: what they do to an upstream that does not answer,
 * answers slowly, or fails, and that they let a healthy one be.
 */
class EndpointResilienceTest extends GatewayFixture {

    private static final String HARD_TIMEOUT = "{\"error\": \"Upstream service reached hard timeout.\"}";
    private static final String OPEN = "{\"error\": \"Service temporarily unavailable.\"}";
    /** Each of the flaky upstream's calls fails when its bit is set: 6 of every 10, spread. */
    private static final int FAILING = 0b1011010110;

    private TestUpstream slow;
    private TestUpstream trickling;
    private TestUpstream flaky;
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicReference<CountDownLatch> hold = new AtomicReference<>(new CountDownLatch(0));
    private volatile boolean healthy;
    private Gateway gateway;

    @BeforeEach
    void start() throws Exception {
        slow = closer.later(TestUpstream.held("slow"));
        trickling = closer.later(TestUpstream.start("trickling", EndpointResilienceTest::trickle));
        flaky = closer.later(TestUpstream.start("flaky", this::flakyAnswer));
        ObjectNode conf = ConfFolder.tykConf().put("proxy_default_timeout", 20);
        conf.putObject("http_server_options").put("enable_http2", true);
        folder.writeConf(conf)
                .writeApi("slow.json", timed("slow", slow))
                .writeApi("trickling.json", timed("trickling", trickling))
                .writeApi("flaky.json", breaker());
        gateway = startGateway(folder.conf);
    }

    private PluginClient client(String protocol) {
        return new PluginClient(protocol, gateway.gatewayPort(), dir);
    }

    @ParameterizedTest
    @ValueSource(strings = {PluginClient.HTTP_1_1, PluginClient.H2C})
    void hardTimeoutAnswers504LongBeforeTheProxyTimeout(String protocol) throws Exception {
        long start = System.nanoTime();
        PluginClient.Reply reply = client(protocol).get("/slow/wait");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(504, reply.status());
        assertEquals(HARD_TIMEOUT, reply.body());
        assertTrue(millis >= 300 && millis < 5_000, "answered after " + millis + " ms");
        slow.release();
        assertEquals(200, client(protocol).get("/slow/other").status(), "another path waits as long as it takes");
    }

    @ParameterizedTest
    @ValueSource(strings = {PluginClient.HTTP_1_1, PluginClient.H2C})
    void hardTimeoutNeverCutsAResponseThatBegan(String protocol) throws Exception {
        PluginClient.Reply reply = client(protocol).get("/trickling/wait");
        assertEquals(200, reply.status());
        assertEquals("0123456789", reply.body(), "the body trickled for a second, past the 300 ms timeout");
    }

    @ParameterizedTest
    @ValueSource(strings = {PluginClient.HTTP_1_1, PluginClient.H2C})
    void failingUpstreamTripsTheBreakerWhichRecoversAfterAProbe(String protocol) throws Exception {
        PluginClient client = client(protocol);
        for (int i = 0; i < 10; i++) {
            int expected = (FAILING >> i & 1) == 1 ? 500 : 200;
            assertEquals(expected, client.get("/flaky/orders").status(), "call " + i);
        }
        log.awaitLogged(Level.WARN, "api=flaky", "circuit breaker open", "6 of the last 10 calls failed");
        PluginClient.Reply refused = client.get("/flaky/orders");
        assertEquals(503, refused.status());
        assertEquals(OPEN, refused.body());
        assertEquals(10, calls.get(), "an open breaker asks no upstream");
        assertEquals(200, client.get("/flaky/other").status(), "another path has no breaker");

        healthy = true;
        CountDownLatch held = new CountDownLatch(1);
        hold.set(held);
        PluginClient.Reply probe = awaitProbe(client, held);
        assertEquals(200, probe.status());
        log.awaitLogged(Level.INFO, "api=flaky", "circuit breaker closed", "the probe succeeded");
        assertEquals(200, client.get("/flaky/orders").status());
    }

    @ParameterizedTest
    @ValueSource(strings = {PluginClient.HTTP_1_1})
    void anOpenBreakerStaysOpenAcrossAReloadThatLeavesItsEntryAlone(String protocol) throws Exception {
        PluginClient client = client(protocol);
        for (int i = 0; i < 10; i++) {
            client.get("/flaky/orders");
        }
        assertEquals(503, client.get("/flaky/orders").status());
        folder.writeApi("slow.json", timed("slow", trickling)); // another API changes
        gateway.reload();
        assertEquals(503, client.get("/flaky/orders").status(), "a reload is no reason to try a failing upstream");
        ObjectNode changed = breaker();
        ((ObjectNode) changed.at("/version_data/versions/Default/extended_paths/circuit_breakers/0"))
                .put("samples", 20);
        folder.writeApi("flaky.json", changed);
        gateway.reload();
        assertEquals(200, client.get("/flaky/orders").status(), "a changed entry starts closed");
    }

    /**
     * Waits out {@code return_to_service_after}: once the breaker lets a probe through, the upstream holds it, and
     * a second call meanwhile must be refused; then the probe is let go.
     */
    private PluginClient.Reply awaitProbe(PluginClient client, CountDownLatch held) throws Exception {
        int before = calls.get();
        Net.Deadline deadline = new Net.Deadline(Duration.ofSeconds(10));
        CompletableFuture<PluginClient.Reply> probe;
        while (true) {
            CompletableFuture<PluginClient.Reply> attempt = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.get("/flaky/orders");
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            while (calls.get() == before && !attempt.isDone()) {
                Thread.sleep(Net.Deadline.POLL_MILLIS);
            }
            if (calls.get() > before) {
                probe = attempt; // it reached the upstream, which holds it
                break;
            }
            assertEquals(503, attempt.get().status(), "refused while open");
            deadline.check("the breaker never let a probe through");
            Thread.sleep(Net.Deadline.POLL_MILLIS);
        }
        log.awaitLogged(Level.INFO, "api=flaky", "circuit breaker half-open");
        assertEquals(503, client.get("/flaky/orders").status(), "one probe at a time");
        held.countDown();
        return probe.get(10, TimeUnit.SECONDS);
    }

    private void flakyAnswer(HttpExchange exchange) throws IOException {
        int call = calls.getAndIncrement();
        if (exchange.getRequestURI().getPath().equals("/orders")) {
            try {
                hold.get().await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            boolean fail = !healthy && call < 10 && (FAILING >> call & 1) == 1;
            TestUpstream.respond(exchange, fail ? 500 : 200, fail ? "failed" : "ok");
        } else {
            calls.decrementAndGet(); // other paths do not count
            TestUpstream.respond(exchange, 200, "ok");
        }
    }

    /** A head at once, then ten bytes a tenth of a second apart. */
    private static void trickle(HttpExchange exchange) throws IOException {
        exchange.sendResponseHeaders(200, 10);
        try (OutputStream out = exchange.getResponseBody()) {
            for (int i = 0; i < 10; i++) {
                out.write('0' + i);
                out.flush();
                Thread.sleep(100); // the upstream's own pace, which the test is about
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ObjectNode timed(String id, TestUpstream target) {
        ObjectNode api = ConfFolder.api(id, "/" + id + "/", target.url("/"));
        EndpointPluginsTest.extendedPaths(api).putArray("hard_timeouts").addObject().put("path", "/wait")
                .put("method", "GET").put("duration", "300ms");
        return api;
    }

    private ObjectNode breaker() {
        ObjectNode api = ConfFolder.api("flaky", "/flaky/", flaky.url("/"));
        EndpointPluginsTest.extendedPaths(api).putArray("circuit_breakers").addObject().put("path", "/orders")
                .put("method", "GET").put("threshold_percent", 0.5).put("samples", 10)
                .put("return_to_service_after", 1).put("disable_half_open_state", false);
        return api;
    }
}
