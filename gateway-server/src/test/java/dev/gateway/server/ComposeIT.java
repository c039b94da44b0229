package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.examples.grpc.helloworld.GreeterGrpc;
import dev.gateway.examples.grpc.helloworld.HelloRequest;
import dev.gateway.http.support.Clients;
import dev.gateway.ssews.WsClient;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * {@code deploy/compose.yaml} under podman-compose, from the images this build made: the gateway on {@code config/}
 * in front of the demo backends and a Redis, each in a container on the host's network. The clients a user would
 * run: a gRPC Greeter call, redis-cli through the {@code tcp} API, the probes, the Redis health check's verdict;
 * then {@code podman stop} drains an in-flight request and the container exits 0.
 *
 * <p>It runs in the image profile, which builds the images before it ({@code bin/test} turns the profile on), and
 * is skipped, saying why, where podman cannot run containers. It needs {@code config/}'s ports on this host (8080,
 * 8090, 6380, 6379, 9001, 9003, 9004, 50051) and fails at once, naming the port, when one is taken.
 */
@EnabledIfSystemProperty(named = "gateway.image.tar", matches = ".+",
        disabledReason = "the images are built in the image profile (bin/test: mvn -Pimage verify)")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeIT {

    private static final Path ROOT = Path.of(System.getProperty("basedir", ".")).resolve("..").toAbsolutePath()
            .normalize();
    private static final Path LOGS = ROOT.resolve("gateway-server/target/compose-it");

    private static final int GATEWAY_PORT = 8080;
    /** config/'s ports: the gateway's, its tcp APIs', and the backends' that compose starts. */
    private static final int[] PORTS = {GATEWAY_PORT, 8090, 6380, 6379, 9001, 9003, 9004, 50051};
    private static final int REDIS_API_PORT = 6380;
    private static final String GATEWAY_CONTAINER = "gateway-demo-gateway";

    /** podman load of a 160 MB tarball, and each compose step, on a loaded two-core machine. */
    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(3);
    /** Six containers, five of them JVMs, starting at once: until the gateway is ready. */
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);
    /** The first checks run within a second of the load; a Redis that came up late is seen at the next round. */
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient http = Clients.newClient();
    private boolean up;

    @BeforeAll
    void composeUp() throws Exception {
        Files.createDirectories(LOGS);
        Result podman = run("podman-info", Duration.ofSeconds(30), "deploy/podman", "info");
        Assumptions.assumeTrue(podman.exit() == 0, "podman cannot run here (bin/test installs it):\n"
                + podman.output());
        for (int port : PORTS) {
            assertTrue(Net.refuses(port), "port " + port + " is taken: the compose file runs on the host's network"
                    + " with config/'s ports (is bin/demo running?)");
        }
        load("gateway", System.getProperty("gateway.image.tar"));
        load("examples", System.getProperty("examples.image.tar"));
        check(run("redis-image", STEP_TIMEOUT, "deploy/redis-image.sh"));

        run("compose-down-before", STEP_TIMEOUT, "deploy/compose", "down");
        up = true;
        check(run("compose-up", STEP_TIMEOUT, "deploy/compose", "up", "-d"));
        awaitStatus("/hello", 200, READY_TIMEOUT);
        awaitStatus("/ready", 200, READY_TIMEOUT);
    }

    @AfterAll
    void composeDown() throws Exception {
        if (!up) {
            return;
        }
        for (String service : List.of("gateway", "redis", "grpc", "http", "websocket", "tcp-echo")) {
            run("logs-" + service, STEP_TIMEOUT, "deploy/podman", "logs", "gateway-demo-" + service);
        }
        check(run("compose-down", STEP_TIMEOUT, "deploy/compose", "down", "-t", "10"));
    }

    @Test
    @Order(1)
    void livenessAndReadinessAnswer() throws Exception {
        assertEquals(200, get("/hello").statusCode());
        HttpResponse<String> ready = get("/ready");
        assertEquals("{\"status\": \"ready\"}", ready.body());
    }

    @Test
    @Order(2)
    void greeterAnswersThroughTheGateway() {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", GATEWAY_PORT).usePlaintext().build();
        try {
            String message = GreeterGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                    .sayHello(HelloRequest.newBuilder().setName("compose").build()).getMessage();
            assertEquals("Hello compose", message);
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    @Order(3)
    void redisCliReachesTheRedisContainerThroughTheTcpApi() throws Exception {
        assertEquals("PONG", redisCli("PING"));
        assertEquals("OK", redisCli("SET", "compose-key", "through the gateway"));
        assertEquals("through the gateway", redisCli("GET", "compose-key"));
    }

    @Test
    @Order(4)
    void theRedisHealthCheckFindsTheRedisHostUp() throws Exception {
        String hostUp = "gateway_upstream_up{api=\"tcp-redis\",host=\"127.0.0.1:6379\"} 1.0";
        Net.Deadline deadline = new Net.Deadline(HEALTH_TIMEOUT);
        String metrics = get("/metrics").body();
        while (!metrics.contains(hostUp)) {
            deadline.check("no '" + hostUp + "' in /metrics:\n" + metrics.lines()
                    .filter(line -> line.contains("upstream_up")).toList());
            Thread.sleep(500);
            metrics = get("/metrics").body();
        }
    }

    @Test
    @Order(5)
    void theHttpAndWebSocketDemosAnswerThroughTheGateway() throws Exception {
        HttpResponse<String> demo = get("/demo/hello");
        assertEquals(200, demo.statusCode());
        assertTrue(demo.body().contains("\"service\":\"demo-http\""), demo.body());
        try (WsClient ws = WsClient.connect(URI.create("ws://127.0.0.1:" + GATEWAY_PORT + "/ws/"))) {
            assertEquals("hello from compose", ws.sendAndReceiveText("hello from compose"));
        }
    }

    @Test
    @Order(6)
    void theComposeHealthCheckPassesAndTheJvmIsPidOneAsNonRoot() throws Exception {
        // podman runs health checks on a systemd timer, and there is no systemd here: run the check once.
        check(run("healthcheck", CALL_TIMEOUT, "deploy/podman", "healthcheck", "run", GATEWAY_CONTAINER));
        Result top = check(run("top", CALL_TIMEOUT, "deploy/podman", "top", GATEWAY_CONTAINER, "pid", "user",
                "args"));
        String pidOne = top.output().lines().filter(line -> line.trim().startsWith("1 ")).findFirst()
                .orElseThrow(() -> new AssertionError("no PID 1 in\n" + top.output()));
        assertTrue(pidOne.contains("10001") && pidOne.contains("java") && pidOne.contains("dev.gateway.server.Main"),
                pidOne);
    }

    /** Last: it stops the gateway. */
    @Test
    @Order(7)
    void podmanStopDrainsAnInFlightRequestAndTheGatewayExitsZero() throws Exception {
        int chunks = 10;
        HttpRequest slow = Clients.request(URI.create(url("/demo/stream?n=" + chunks + "&delay_ms=300"))).build();
        // The head comes with the first chunk: from then on the request is in flight in the gateway, and the rest
        // takes about three seconds.
        HttpResponse<Stream<String>> streaming = http.sendAsync(slow,
                HttpResponse.BodyHandlers.ofLines()).get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        CompletableFuture<Result> stop = CompletableFuture.supplyAsync(() -> {
            try {
                return run("stop", STEP_TIMEOUT, "deploy/podman", "stop", GATEWAY_CONTAINER);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        List<String> lines;
        try (Stream<String> body = streaming.body()) {
            lines = body.toList();
        }

        assertEquals(IntStream.rangeClosed(1, chunks).mapToObj(i -> "chunk " + i).toList(), lines);
        check(stop.get(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        Result exitCode = check(run("exit-code", CALL_TIMEOUT, "deploy/podman", "inspect", "--format",
                "{{.State.ExitCode}}", GATEWAY_CONTAINER));
        assertEquals("0", exitCode.output().strip());
        Result logs = check(run("logs-stopped", CALL_TIMEOUT, "deploy/podman", "logs", GATEWAY_CONTAINER));
        assertTrue(logs.output().contains("stopping: no new connections; draining"), logs.output());
        assertTrue(Net.refuses(GATEWAY_PORT), "the gateway's port still accepts connections after the stop");
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return Clients.get(http, url(path));
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + GATEWAY_PORT + path;
    }

    private void awaitStatus(String path, int status, Duration timeout) throws InterruptedException {
        Net.Deadline deadline = new Net.Deadline(timeout);
        String last = "no answer";
        while (true) {
            try {
                HttpResponse<String> response = get(path);
                if (response.statusCode() == status) {
                    return;
                }
                last = response.statusCode() + " " + response.body();
            } catch (IOException e) {
                last = e.toString();
            }
            deadline.check(path + " did not answer " + status + " (last: " + last + "); logs in " + LOGS);
            Thread.sleep(250);
        }
    }

    private static String redisCli(String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p",
                String.valueOf(REDIS_API_PORT)));
        args.addAll(List.of(command));
        return check(run("redis-cli", CALL_TIMEOUT, args.toArray(String[]::new))).output().strip();
    }

    private static void load(String image, String tarball) throws Exception {
        assertTrue(tarball != null && Files.isRegularFile(Path.of(tarball)), "no image tarball at " + tarball
                + " (the image profile builds it in package; build the whole reactor, or run bin/image)");
        check(run("load-" + image, STEP_TIMEOUT, "deploy/podman", "load", "-q", "-i", tarball));
    }

    /** What a command printed (stdout and stderr together) and its exit code. */
    private record Result(String name, int exit, String output) {
    }

    /** Runs {@code command} in the repository's root; its output also goes to {@code target/compose-it/NAME.log}. */
    private static Result run(String name, Duration timeout, String... command) throws Exception {
        Path log = LOGS.resolve(name + ".log");
        Process process = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " still running after " + timeout + ":\n"
                    + Files.readString(log));
        }
        return new Result(name, process.exitValue(), Files.readString(log));
    }

    private static Result check(Result result) {
        assertEquals(0, result.exit(), result.name() + " failed:\n" + result.output());
        return result;
    }
}
