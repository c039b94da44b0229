package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.Http1;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@link Main}'s signals, sent to a gateway in its own JVM: SIGHUP reloads, SIGTERM drains and exits. */
class MainSignalsTest {

    /** How long a reload or a stop may take to show in the log. */
    private static final Duration LOG_TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();
    private final HttpClient client = Clients.newClient();
    private ConfFolder folder;
    private TestUpstream upstream;

    @BeforeEach
    void setUp() throws Exception {
        folder = new ConfFolder(dir);
        upstream = closer.later(TestUpstream.namingPaths("up"));
    }

    private GatewayProcess serve(String name, String... extraArgs) throws Exception {
        return closer.later(GatewayProcess.startServing(dir, name, folder.conf, extraArgs));
    }

    private void reload(GatewayProcess gateway, int reloadsSoFar) throws Exception {
        gateway.signal("HUP");
        gateway.awaitLines(reloadsSoFar + 1, LOG_TIMEOUT, "Gateway - reloaded: ");
    }

    @Test
    void sighupReloadsTheApiDefinitions() throws Exception {
        folder.writeConf(ConfFolder.tykConf())
                .writeApi("first.json", ConfFolder.api("first", "/first/", upstream.url("/")));
        GatewayProcess gateway = serve("sighup");
        assertEquals(404, Clients.get(client, gateway.url("/second/x")).statusCode());

        folder.writeApi("second.json", ConfFolder.api("second", "/second/", upstream.url("/")));
        reload(gateway, 0);
        HttpResponse<String> added = Clients.get(client, gateway.url("/second/x"));
        assertEquals(200, added.statusCode());
        assertEquals(upstream.bodyFor("/x"), added.body());

        folder.removeApi("second.json");
        reload(gateway, 1);
        assertEquals(404, Clients.get(client, gateway.url("/second/x")).statusCode());

        folder.writeApi("first.json", "{\"api_id\": \"first\"");
        reload(gateway, 2);
        assertEquals(200, Clients.get(client, gateway.url("/first/x")).statusCode());
        assertFalse(gateway.lines("WARN", "first.json", "last good version").isEmpty(), gateway.describeOutput());

        assertTrue(gateway.isAlive(), gateway.describeOutput());
    }

    @Test
    void sighupIgnoredByTheParentIsSaidOnceAtStartNamingTheFix() throws Exception {
        folder.writeConf(ConfFolder.tykConf())
                .writeApi("first.json", ConfFolder.api("first", "/first/", upstream.url("/")));
        GatewayProcess gateway = closer.later(GatewayProcess.launchIgnoring("HUP", dir, "nohup", "--conf",
                folder.conf.toString(), "--port", String.valueOf(Ports.freePort())));
        gateway.awaitReady();
        assertEquals(List.of(), gateway.lines("Gateway - reloaded: "));

        folder.writeApi("second.json", ConfFolder.api("second", "/second/", upstream.url("/")));
        gateway.signal("HUP");

        // Either the reload happens after all, or the start-up said it would not: never silence.
        List<String> warnings = gateway.lines("WARN", "SIGHUP is ignored", "setsid");
        if (warnings.isEmpty()) {
            gateway.awaitLine(LOG_TIMEOUT, "Gateway - reloaded: ");
            assertEquals(200, Clients.get(client, gateway.url("/second/x")).statusCode(), gateway.describeOutput());
        } else {
            assertEquals(1, warnings.size(), gateway.describeOutput());
            assertTrue(gateway.isAlive(), "the ignored SIGHUP did not end the process" + gateway.describeOutput());
            assertEquals(200, Clients.get(client, gateway.url("/first/x")).statusCode(), gateway.describeOutput());
        }
    }

    @Test
    void sigtermIgnoredByTheParentIsSaidAtStartAndSigintStillStops() throws Exception {
        folder.writeConf(ConfFolder.tykConf());
        GatewayProcess gateway = closer.later(GatewayProcess.launchIgnoring("TERM", dir, "no-term", "--conf",
                folder.conf.toString(), "--port", String.valueOf(Ports.freePort())));
        gateway.awaitReady();

        assertEquals(1, gateway.lines("WARN", "SIGTERM is ignored", "kill -INT").size(), gateway.describeOutput());
        gateway.signal("INT");
        assertEquals(0, gateway.awaitExit(Duration.ofSeconds(15)), gateway.describeOutput());
    }

    @Test
    void sighupHandledNormallyEarnsNoWarning() throws Exception {
        folder.writeConf(ConfFolder.tykConf());
        GatewayProcess gateway = serve("no-warning");

        assertEquals(List.of(), gateway.lines("is ignored by the parent"));
    }

    @Test
    void sighupSentAsSoonAsThePortAcceptsReloadsInsteadOfEndingTheProcess() throws Exception {
        folder.writeConf(ConfFolder.tykConf())
                .writeApi("first.json", ConfFolder.api("first", "/first/", upstream.url("/")));
        GatewayProcess gateway = closer.later(GatewayProcess.launch(dir, "sighup-early", "--conf",
                folder.conf.toString(), "--port", String.valueOf(Ports.freePort())));
        awaitAccepting(gateway);

        gateway.signal("HUP");

        gateway.awaitLine(LOG_TIMEOUT, "Gateway - reloaded: ");
        gateway.awaitReady();
        assertEquals(200, Clients.get(client, gateway.url("/first/x")).statusCode());
    }

    @Test
    void sigtermSentAsSoonAsThePortAcceptsStopsGracefully() throws Exception {
        folder.writeConf(ConfFolder.tykConf());
        GatewayProcess gateway = closer.later(GatewayProcess.launch(dir, "sigterm-early", "--conf",
                folder.conf.toString(), "--port", String.valueOf(Ports.freePort())));
        awaitAccepting(gateway);

        gateway.terminate();

        // Not 143 (128 + SIGTERM), the JVM's default: the gateway drained and stopped.
        assertEquals(0, gateway.awaitExit(Duration.ofSeconds(15)), gateway.describeOutput());
        assertFalse(gateway.lines("Gateway - stopped").isEmpty(), gateway.describeOutput());
    }

    /** Polls, without waiting for {@code /hello}, until the gateway's port accepts connections. */
    private static void awaitAccepting(GatewayProcess gateway) throws InterruptedException {
        // The earliest moment a supervisor could take the gateway for started.
        Net.Deadline deadline = new Net.Deadline(GatewayProcess.START_TIMEOUT);
        while (Net.refuses(gateway.port)) {
            assertTrue(gateway.isAlive(), gateway.describeOutput());
            deadline.check("port " + gateway.port + " never opened" + gateway.describeOutput());
            Thread.sleep(1);
        }
    }

    @Test
    void sigtermLetsTheRequestInFlightFinishThenExitsZero() throws Exception {
        TestUpstream slow = closer.later(TestUpstream.held("slow"));
        folder.writeConf(ConfFolder.tykConf()).writeApi("slow.json", ConfFolder.api("slow", "/slow/", slow.url("/")));
        GatewayProcess gateway = serve("sigterm-in-flight", "--grace-seconds", "15");
        CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                HttpRequest.newBuilder(URI.create(gateway.url("/slow/report"))).timeout(Clients.REQUEST_TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("/report", slow.takeRequest(Clients.REQUEST_TIMEOUT).target());

        gateway.signal("TERM");

        gateway.awaitLine(LOG_TIMEOUT, "stopping: no new connections");
        Net.awaitRefused(gateway.port, LOG_TIMEOUT);
        assertTrue(gateway.isAlive(), "the held request keeps the gateway draining" + gateway.describeOutput());
        assertFalse(inFlight.isDone());

        slow.release();
        HttpResponse<String> response = inFlight.get(Clients.REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(200, response.statusCode());
        assertEquals(slow.bodyFor("/report"), response.body());
        assertEquals(0, gateway.awaitExit(Duration.ofSeconds(15)), gateway.describeOutput());
        assertFalse(gateway.lines("Gateway - stopped").isEmpty(), gateway.describeOutput());
        assertEquals(List.of(), gateway.lines("grace period over"));
        assertEquals(List.of(), gateway.lines("LEAK"));
    }

    @Test
    void sigtermDoesNotWaitForAnIdleKeepAliveConnection() throws Exception {
        folder.writeConf(ConfFolder.tykConf());
        // A grace period far longer than the exit may take: an idle connection must not use it up.
        GatewayProcess gateway = serve("sigterm-idle", "--grace-seconds", "60");
        try (RawClient idle = RawClient.connect(gateway.port)) {
            Http1.Response hello = idle.get("/hello", "Host: localhost");
            assertEquals(200, hello.status());
            assertFalse("close".equalsIgnoreCase(hello.header("connection")), hello.head().fields().toString());

            long signalled = System.nanoTime();
            gateway.signal("TERM");

            assertEquals(0, gateway.awaitExit(Duration.ofSeconds(10)), gateway.describeOutput());
            Duration took = Duration.ofNanos(System.nanoTime() - signalled);
            assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "exit took " + took);
            idle.awaitClosed(Clients.REQUEST_TIMEOUT); // the idle connection is closed
            assertEquals(List.of(), gateway.lines("grace period over"));
        }
    }

    @Test
    void sigtermWithADrainDelayAnswersReady503WhileStillServingThenClosesTheListener() throws Exception {
        folder.writeConf(ConfFolder.tykConf()).writeApi("api.json", ConfFolder.api("api", "/api/", upstream.url("/")));
        GatewayProcess gateway = serve("sigterm-drain-delay", "--drain-delay-seconds", "3");
        assertEquals(200, Clients.get(client, gateway.url("/ready")).statusCode());
        try (RawClient open = RawClient.connect(gateway.port)) {
            Http1.Response before = open.get("/api/before", "Host: localhost");
            assertEquals(200, before.status());
            assertFalse("close".equalsIgnoreCase(before.header("connection")), before.head().fields().toString());

            long signalled = System.nanoTime();
            gateway.signal("TERM");
            gateway.awaitLine(LOG_TIMEOUT, "/ready answers 503");

            // A balancer's next check sees the stop, while the gateway still serves everyone.
            HttpResponse<String> ready = Clients.get(client, gateway.url("/ready"));
            assertEquals(503, ready.statusCode());
            assertTrue(ready.body().contains("the gateway is stopping"), ready.body());
            Http1.Response during = open.get("/api/during", "Host: localhost");
            assertEquals(200, during.status());
            assertEquals("close", during.header("connection"), "the open connection is asked to go");
            open.awaitClosed(Clients.REQUEST_TIMEOUT);
            HttpResponse<String> late = Clients.get(client, gateway.url("/api/late"));
            assertEquals(200, late.statusCode(), "a new connection is still served during the delay");
            assertEquals(upstream.bodyFor("/late"), late.body());

            Net.awaitRefused(gateway.port, LOG_TIMEOUT);
            Duration refusedAfter = Duration.ofNanos(System.nanoTime() - signalled);
            assertTrue(refusedAfter.compareTo(Duration.ofMillis(2900)) >= 0, "refused after " + refusedAfter);
            assertEquals(0, gateway.awaitExit(Duration.ofSeconds(15)), gateway.describeOutput());
            assertFalse(gateway.lines("Gateway - stopped").isEmpty(), gateway.describeOutput());
            assertEquals(List.of(), gateway.lines("grace period over"));
        }
    }
}
