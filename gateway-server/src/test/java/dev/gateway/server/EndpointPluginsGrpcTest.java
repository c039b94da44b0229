package dev.gateway.server;

import static dev.gateway.server.PluginApis.grpcApi;
import static dev.gateway.server.PluginApis.withVersionMembers;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.examples.grpc.EchoMetadataInterceptor;
import dev.gateway.examples.grpc.GreeterService;
import dev.gateway.examples.grpc.GrpcTestServers;
import dev.gateway.examples.grpc.RouteGuideService;
import dev.gateway.examples.grpc.helloworld.GreeterGrpc;
import dev.gateway.examples.grpc.helloworld.HelloRequest;
import dev.gateway.examples.grpc.routeguide.Feature;
import dev.gateway.examples.grpc.routeguide.Point;
import dev.gateway.examples.grpc.routeguide.RouteGuideGrpc;
import dev.gateway.examples.grpc.routeguide.RouteSummary;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.function.Executable;

/**
 * Endpoint plugins in front of grpc-java's Greeter and RouteGuide, with a grpc-java client, through the whole
 * gateway on h2c: each plugin's effect on a call, and the gRPC status of each refusal, as the table at the end of
 * {@code docs/endpoint-plugins.md} has it.
 */
class EndpointPluginsGrpcTest extends GatewayFixture {

    /** A client deadline far beyond every timeout under test, so that a DEADLINE_EXCEEDED is the gateway's. */
    private static final long CALL_SECONDS = 10;

    /** Request header transforms that also name gRPC's own headers, which a call must keep as the client sent them. */
    private static final String REQUEST_TRANSFORMS = """
            "global_headers": {"X-Global": "everywhere"},
            "extended_paths": {"transform_headers": [{
              "path": "/helloworld.Greeter/SayHello", "method": "POST",
              "delete_headers": ["X-Remove", "grpc-timeout", "Content-Type"],
              "add_headers": {"X-Added": "yes", "grpc-timeout": "1n", "content-type": "text/plain"}
            }]}""";

    /** The same for the response: {@code grpc-status} and {@code grpc-message} belong to the server. */
    private static final String RESPONSE_TRANSFORMS = """
            "global_response_headers": {"X-Served-By": "gateway"},
            "extended_paths": {"transform_response_headers": [{
              "path": "/helloworld.Greeter/SayHello", "method": "POST",
              "delete_headers": ["grpc-message", "content-type"],
              "add_headers": {"X-Response": "added", "grpc-status": "0"}
            }]}""";

    private GrpcTestServers grpc;

    @BeforeEach
    void startUpstream() throws Exception {
        grpc = closer.later(GrpcTestServers.start(0));
    }

    /** Starts a gateway with HTTP/2 on its port (h2c, as gRPC needs) and {@code apis}; a channel to it. */
    private ManagedChannel gatewayWith(ObjectNode... apis) throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("http_server_options").put("enable_http2", true);
        folder.writeConf(conf);
        for (ObjectNode api : apis) {
            folder.writeApi(api.get("api_id").asText() + ".json", api);
        }
        Gateway gateway = startGateway(folder.conf);
        ManagedChannel channel = h2cChannel(gateway);
        return channel;
    }

    private static GreeterGrpc.GreeterBlockingStub greeter(ManagedChannel channel) {
        return GreeterGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
    }

    private static RouteGuideGrpc.RouteGuideBlockingStub routes(ManagedChannel channel) {
        return RouteGuideGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
    }

    private static HelloRequest hello(String name) {
        return HelloRequest.newBuilder().setName(name).build();
    }

    /** Runs {@code call}, which must fail with {@code code}; the failure, for more checks. */
    private static StatusRuntimeException assertStatus(Status.Code code, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.toString());
        return e;
    }

    /** What the gateway writes into grpc-message: its JSON {@code error} text, after {@code gateway: }. */
    private static void assertGatewaySays(String error, StatusRuntimeException e) {
        assertEquals("gateway: " + error, e.getStatus().getDescription(), e.toString());
    }

    @Test
    void urlRewriteFromTheDocsAnswersSayHelloWithSayHelloAgain() throws Exception {
        String rewrites = DocsExamples.byFile("endpoint-plugins.md", "rewrites.json").text();
        ManagedChannel channel = gatewayWith(withVersionMembers(grpcApi("greeter", "/", grpc.port()), rewrites));

        assertEquals("Hello again x", greeter(channel).sayHello(hello("x")).getMessage());
    }

    @Test
    void whiteListFromTheDocsServesTheListedMethodAndDeniesOthersWithoutReachingThem() throws Exception {
        String lists = DocsExamples.byFile("endpoint-plugins.md", "lists.json").text();
        ManagedChannel channel = gatewayWith(withVersionMembers(grpcApi("grpc", "/", grpc.port()), lists));

        assertEquals("Hello listed", greeter(channel).sayHello(hello("listed")).getMessage());
        // A method whose name only starts with the listed one's: the entry's '$' keeps it out.
        StatusRuntimeException longerName = assertStatus(Status.Code.PERMISSION_DENIED,
                () -> greeter(channel).sayHelloAgain(hello("unlisted")));
        StatusRuntimeException otherService = assertStatus(Status.Code.PERMISSION_DENIED,
                () -> routes(channel).getFeature(RouteGuideService.FEATURES.get(0).getLocation()));

        assertGatewaySays("Requested endpoint is forbidden", longerName);
        assertGatewaySays("Requested endpoint is forbidden", otherService);
        assertEquals(1, grpc.cancellations().started(), "a denied call reached the upstream");
    }

    @Test
    void ipAllowListDeniesAClientOutsideItAndServesOneInIt() throws Exception {
        ObjectNode greeter = grpcApi("greeter", "/helloworld.Greeter", grpc.port())
                .put("enable_ip_whitelisting", true);
        greeter.putArray("allowed_ips").add("10.0.0.0/8");
        ObjectNode routes = grpcApi("routes", "/routeguide.RouteGuide", grpc.port())
                .put("enable_ip_whitelisting", true);
        routes.putArray("allowed_ips").add("127.0.0.1");
        ManagedChannel channel = gatewayWith(greeter, routes);

        StatusRuntimeException denied = assertStatus(Status.Code.PERMISSION_DENIED,
                () -> greeter(channel).sayHello(hello("outsider")));
        Feature served = routes(channel).getFeature(RouteGuideService.FEATURES.get(0).getLocation());

        assertGatewaySays("access from this IP has been disallowed", denied);
        assertEquals(RouteGuideService.FEATURES.get(0), served);
        log.assertLogged(Level.INFO, "api=greeter", "access from this IP has been disallowed");
    }

    /** The entry names the call's whole path, which meets it under the listen path / and under the service's. */
    @ParameterizedTest
    @ValueSource(strings = {"/", "/helloworld.Greeter"})
    void sizeLimitRefusesALargeCallAndServesASmallOne(String listenPath) throws Exception {
        ManagedChannel channel = gatewayWith(withVersionMembers(grpcApi("greeter", listenPath, grpc.port()), """
                "extended_paths": {"size_limits": [
                  {"path": "/helloworld.Greeter/SayHello", "method": "POST", "size_limit": 64}
                ]}"""));

        assertEquals("Hello small", greeter(channel).sayHello(hello("small")).getMessage());
        StatusRuntimeException refused = assertStatus(Status.Code.RESOURCE_EXHAUSTED,
                () -> greeter(channel).sayHello(hello("n".repeat(100))));

        assertGatewaySays("Request is too large", refused);
    }

    @Test
    void sizeLimitCountsAClientStreamAsItFlows() throws Exception {
        ManagedChannel channel = gatewayWith(withVersionMembers(grpcApi("routes", "/", grpc.port()), """
                "extended_paths": {"size_limits": [
                  {"path": "/routeguide.RouteGuide/RecordRoute", "method": "POST", "size_limit": 64}
                ]}"""));
        RouteGuideGrpc.RouteGuideStub async = RouteGuideGrpc.newStub(channel)
                .withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
        // A point of the grid is 17 bytes of protobuf, 22 with gRPC's message prefix: two fit in 64, three do not.
        CompletableFuture<RouteSummary> shortRoute = new CompletableFuture<>();
        StreamObserver<Point> twoPoints = async.recordRoute(observer(shortRoute));
        twoPoints.onNext(RouteGuideService.FEATURES.get(0).getLocation());
        twoPoints.onNext(RouteGuideService.FEATURES.get(1).getLocation());
        twoPoints.onCompleted();
        assertEquals(2, shortRoute.get(CALL_SECONDS, TimeUnit.SECONDS).getPointCount());

        CompletableFuture<RouteSummary> longRoute = new CompletableFuture<>();
        StreamObserver<Point> points = async.recordRoute(observer(longRoute));
        for (int i = 0; i < 10; i++) {
            points.onNext(RouteGuideService.FEATURES.get(i).getLocation());
        }
        // No half-close: the stream is still open, so only counting as it flows can end the call.
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> longRoute.get(CALL_SECONDS, TimeUnit.SECONDS));

        Status status = Status.fromThrowable(refused.getCause());
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode(), status.toString());
        assertEquals("gateway: Request is too large", status.getDescription());
    }

    @Test
    void hardTimeoutEndsACallWhoseReplyIsLateAndServesAPromptOne() throws Exception {
        ManagedChannel channel = gatewayWith(withVersionMembers(grpcApi("greeter", "/", grpc.port()), """
                "extended_paths": {"hard_timeouts": [
                  {"path": "/helloworld.Greeter/SayHello", "method": "POST", "duration": "300ms"}
                ]}"""));

        assertEquals("Hello slow:10", greeter(channel).sayHello(hello("slow:10")).getMessage());
        long start = System.nanoTime();
        StatusRuntimeException late = assertStatus(Status.Code.DEADLINE_EXCEEDED,
                () -> greeter(channel).sayHello(hello("slow:2000")));
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertGatewaySays("Upstream service reached hard timeout.", late);
        assertTrue(waitedMillis >= 250 && waitedMillis < 1500, "the call ended after " + waitedMillis + " ms");
    }

    @Test
    void hardTimeoutBoundsTheWaitForAStreamsFirstResponseNotTheStream() throws Exception {
        ManagedChannel channel = gatewayWith(withVersionMembers(grpcApi("routes", "/", grpc.port()), """
                "extended_paths": {"hard_timeouts": [
                  {"path": "/routeguide.RouteGuide/ListFeatures", "method": "POST", "duration": "300ms"}
                ]}"""));

        // grpc-java sends the response headers with the first message: 100 ms in, then one every 100 ms.
        long start = System.nanoTime();
        Iterator<Feature> paced = routes(channel).listFeatures(RouteGuideService.paceRequest(10, 100));
        int received = 0;
        while (paced.hasNext()) {
            assertEquals(received, paced.next().getLocation().getLatitude());
            received++;
        }
        long streamedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // The first message, and so the response head, comes after a second: past the hard timeout.
        StatusRuntimeException late = assertStatus(Status.Code.DEADLINE_EXCEEDED,
                () -> routes(channel).listFeatures(RouteGuideService.paceRequest(1, 1000)).hasNext());

        assertEquals(10, received);
        assertTrue(streamedMillis >= 900, "the stream outlived the hard timeout only " + streamedMillis + " ms");
        assertGatewaySays("Upstream service reached hard timeout.", late);
    }

    @Test
    void circuitBreakerOpensRefusesWithoutTheUpstreamAndAProbeClosesIt() throws Exception {
        // Nothing listens there yet: every call fails with UNAVAILABLE from the gateway, which counts as a failure.
        // (The Greeter's own failure, INVALID_ARGUMENT, is the client's fault and counts neither way.)
        int port = Ports.freePort();
        ManagedChannel channel = gatewayWith(withVersionMembers(grpcApi("greeter", "/", port), """
                "extended_paths": {"circuit_breakers": [{
                  "path": "/helloworld.Greeter/SayHello", "method": "POST", "threshold_percent": 0.5,
                  "samples": 4, "return_to_service_after": 1, "disable_half_open_state": false
                }]}"""));
        for (int i = 0; i < 4; i++) {
            assertGatewaySays("upstream refused the connection",
                    assertStatus(Status.Code.UNAVAILABLE, () -> greeter(channel).sayHello(hello("down"))));
        }
        log.awaitLogged(Level.WARN, "api=greeter", "circuit breaker open", "4 of the last 4 calls failed");

        assertGatewaySays("Service temporarily unavailable.",
                assertStatus(Status.Code.UNAVAILABLE, () -> greeter(channel).sayHello(hello("refused"))));
        log.assertLogged(Level.INFO, "api=greeter", "refused: the circuit breaker is open");

        // The upstream is back; calls are refused until return_to_service_after, then one goes through as a probe.
        GrpcTestServers revived = closer.later(GrpcTestServers.start(port));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CALL_SECONDS);
        String reply = null;
        while (reply == null) {
            try {
                reply = greeter(channel).sayHello(hello("probe")).getMessage();
            } catch (StatusRuntimeException e) {
                assertGatewaySays("Service temporarily unavailable.", e);
                assertTrue(System.nanoTime() < deadline, "the breaker never let a probe through");
                Thread.sleep(50); // polling for return_to_service_after, the one wait with nothing to latch on
            }
        }

        assertEquals("Hello probe", reply);
        assertEquals(1, revived.cancellations().started(), "a call the open breaker refused reached the upstream");
        log.awaitLogged(Level.INFO, "api=greeter", "circuit breaker closed", "the probe succeeded");
        assertEquals("Hello closed", greeter(channel).sayHello(hello("closed")).getMessage());
    }

    @Test
    void headerTransformsChangeRequestMetadataButNeverGrpcsOwnHeaders() throws Exception {
        BlockingQueue<Metadata> received = new LinkedBlockingQueue<>();
        ManagedChannel channel = gatewayWith(withVersionMembers(
                grpcApi("greeter", "/", capturingGreeter(received)), REQUEST_TRANSFORMS));
        Metadata sent = new Metadata();
        sent.put(key("x-remove"), "please");
        AtomicReference<Metadata> trailers = new AtomicReference<>();

        // A deleted or replaced content-type would have the server refuse the call; a grpc-timeout of 1n, time it out.
        String reply = greeter(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(sent),
                MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers))
                .sayHello(hello("meta")).getMessage();

        assertEquals("Hello meta", reply);
        Metadata upstream = received.poll(CALL_SECONDS, TimeUnit.SECONDS);
        assertNotNull(upstream, "the server saw no call");
        assertEquals("yes", upstream.get(key("x-added")));
        assertEquals("everywhere", upstream.get(key("x-global")));
        assertNull(upstream.get(key("x-remove")), upstream.toString());
        // The echo interceptor reports the deadline the server got: the client's ten seconds crossed unchanged.
        String deadlineLeft = trailers.get().get(EchoMetadataInterceptor.DEADLINE_TRAILER);
        assertNotNull(deadlineLeft, "grpc-timeout did not reach the server: " + trailers.get());
        assertTrue(Long.parseLong(deadlineLeft) > TimeUnit.SECONDS.toMillis(CALL_SECONDS) / 2, deadlineLeft);
    }

    @Test
    void responseHeaderTransformsReachTheClientAndLeaveStatusAndTrailersAlone() throws Exception {
        ManagedChannel channel = gatewayWith(withVersionMembers(grpcApi("greeter", "/", grpc.port()),
                RESPONSE_TRANSFORMS));
        Metadata sent = new Metadata();
        sent.put(EchoMetadataInterceptor.ECHO, "echoed");
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        GreeterGrpc.GreeterBlockingStub stub = greeter(channel).withInterceptors(
                MetadataUtils.newAttachHeadersInterceptor(sent),
                MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));

        assertEquals("Hello head", stub.sayHello(hello("head")).getMessage());
        assertEquals("added", headers.get().get(key("x-response")));
        assertEquals("gateway", headers.get().get(key("x-served-by")));
        assertEquals("echoed", headers.get().get(EchoMetadataInterceptor.ECHO));
        assertEquals("echoed", trailers.get().get(EchoMetadataInterceptor.ECHO_TRAILER));

        // A failed call is trailers-only: its one head is its trailers, whose grpc-status "0" must not win.
        StatusRuntimeException failed = assertStatus(Status.Code.INVALID_ARGUMENT,
                () -> stub.sayHello(hello(GreeterService.FAIL_NAME)));
        assertEquals("bad name", failed.getStatus().getDescription());
        assertEquals("why", failed.getTrailers().get(GreeterService.DETAIL));
        assertArrayEquals(new byte[] {1, 2, 3}, failed.getTrailers().get(GreeterService.DETAIL_BIN));
        assertEquals("echoed", failed.getTrailers().get(EchoMetadataInterceptor.ECHO_TRAILER));
    }

    /** A Greeter on loopback that hands each call's request metadata, as it arrived, to {@code received}. */
    private int capturingGreeter(BlockingQueue<Metadata> received) throws Exception {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        closer.later(scheduler::shutdownNow);
        ServerInterceptor capture = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                received.add(headers);
                return next.startCall(call, headers);
            }
        };
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(GrpcTestServers.LOOPBACK, 0),
                        InsecureServerCredentials.create())
                .addService(ServerInterceptors.intercept(new GreeterService(scheduler), capture))
                .build().start();
        closer.later(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        return server.getPort();
    }

    private static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }

    private static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                result.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                result.complete(null);
            }
        };
    }
}
