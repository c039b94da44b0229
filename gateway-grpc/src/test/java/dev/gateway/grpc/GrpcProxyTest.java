package dev.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.tls.PemKeyPair;
import dev.gateway.examples.grpc.EchoMetadataInterceptor;
import dev.gateway.examples.grpc.GreeterService;
import dev.gateway.examples.grpc.GrpcTestServers;
import dev.gateway.examples.grpc.RouteGuideService;
import dev.gateway.examples.grpc.helloworld.GreeterGrpc;
import dev.gateway.examples.grpc.helloworld.HelloReply;
import dev.gateway.examples.grpc.helloworld.HelloRequest;
import dev.gateway.examples.grpc.routeguide.Feature;
import dev.gateway.examples.grpc.routeguide.Point;
import dev.gateway.examples.grpc.routeguide.RouteGuideGrpc;
import dev.gateway.examples.grpc.routeguide.RouteNote;
import dev.gateway.examples.grpc.routeguide.RouteSummary;
import dev.gateway.http.support.HeapWatch;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TykApi;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC through the gateway with grpc-java on both sides: h2c clients to h2c servers, all four kinds of call,
 * metadata and trailers, and the gateway's own errors as gRPC statuses.
 */
class GrpcProxyTest {

    private static final long TIMEOUT_SECONDS = 10;

    @TempDir
    Path dir;

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T resource) {
        cleanup.add(resource);
        return resource;
    }

    private GrpcTestServers server() throws Exception {
        return closeLater(GrpcTestServers.start(0));
    }

    /** A gateway with HTTP/2 on, gRPC's rules, and one API per service at its gRPC path prefix. */
    private ProxyUnderTest gateway(String target) throws Exception {
        return closeLater(ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .rules(GrpcRules.INSTANCE)
                .api(TykApi.keyless("greeter", "/helloworld.Greeter", target).stripListenPath(false))
                .api(TykApi.keyless("routes", "/routeguide.RouteGuide", target).stripListenPath(false))
                .start());
    }

    private ManagedChannel channel(int port) {
        return channel(port, InsecureChannelCredentials.create(), null);
    }

    private ManagedChannel channel(int port, ChannelCredentials credentials, String authority) {
        var builder = Grpc.newChannelBuilderForAddress("localhost", port, credentials);
        if (authority != null) {
            builder.overrideAuthority(authority);
        }
        ManagedChannel channel = builder.build();
        cleanup.add(() -> {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        });
        return channel;
    }

    private static GreeterGrpc.GreeterBlockingStub greeter(ManagedChannel channel) {
        return GreeterGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private static HelloRequest hello(String name) {
        return HelloRequest.newBuilder().setName(name).build();
    }

    // ---- the four kinds of call --------------------------------------------------------------------------------

    @Test
    void unaryCallPassesThroughH2cOnBothSides() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());

        HelloReply reply = greeter(channel(gateway.port())).sayHello(hello("joe"));

        assertEquals("Hello joe", reply.getMessage());
    }

    @Test
    void serverStreamDeliversTheFirstMessageBeforeTheServerProducesTheLast() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        RouteGuideGrpc.RouteGuideBlockingStub routes = RouteGuideGrpc.newBlockingStub(channel(gateway.port()))
                .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS);

        // Hold mode: one feature, then the server waits until the call is cancelled. Receiving that feature
        // proves it was forwarded on its own, not held until the stream's end.
        Iterator<Feature> features = routes.listFeatures(RouteGuideService.holdRequest());
        assertTrue(features.hasNext());
        assertNotNull(features.next().getName());
    }

    @Test
    void clientStreamIsSummarizedAtItsEnd() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        CompletableFuture<RouteSummary> summary = new CompletableFuture<>();
        StreamObserver<Point> points = RouteGuideGrpc.newStub(channel(gateway.port()))
                .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .recordRoute(observer(summary));

        for (int i = 0; i < 5; i++) {
            points.onNext(RouteGuideService.point(i, i));
        }
        points.onCompleted();

        assertEquals(5, summary.get(TIMEOUT_SECONDS, TimeUnit.SECONDS).getPointCount());
    }

    @Test
    void bidirectionalPingPongGetsEachReplyBeforeTheNextRequest() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        BlockingQueue<RouteNote> replies = new LinkedBlockingQueue<>();
        CompletableFuture<Void> ended = new CompletableFuture<>();
        StreamObserver<RouteNote> notes = RouteGuideGrpc.newStub(channel(gateway.port()))
                .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .routeChat(new StreamObserver<>() {
                    @Override
                    public void onNext(RouteNote note) {
                        replies.add(note);
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        ended.complete(null);
                    }
                });

        for (int i = 0; i < 10; i++) {
            // A fresh location each time: the server answers with this note alone, at once.
            notes.onNext(RouteNote.newBuilder().setLocation(RouteGuideService.point(100 + i, 0))
                    .setMessage("ping " + i).build());
            RouteNote reply = replies.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(reply, "no reply to ping " + i + " while the call is still open");
            assertEquals("ping " + i, reply.getMessage());
        }
        notes.onCompleted();
        ended.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    // ---- metadata, status and trailers ------------------------------------------------------------------------

    @Test
    void statusMessageAndTrailingMetadataArriveIntact() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        Metadata sent = new Metadata();
        sent.put(EchoMetadataInterceptor.ECHO, "marco");
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        GreeterGrpc.GreeterBlockingStub stub = greeter(channel(gateway.port())).withInterceptors(
                MetadataUtils.newAttachHeadersInterceptor(sent),
                MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub.sayHello(hello(GreeterService.FAIL_NAME)));

        assertEquals(GreeterService.FAIL_STATUS.getCode(), e.getStatus().getCode());
        assertEquals(GreeterService.FAIL_STATUS.getDescription(), e.getStatus().getDescription());
        Metadata received = trailers.get();
        assertEquals("why", received.get(GreeterService.DETAIL));
        assertArrayEquals(new byte[] {1, 2, 3}, received.get(GreeterService.DETAIL_BIN));
        assertEquals("marco", received.get(EchoMetadataInterceptor.ECHO_TRAILER));
    }

    @Test
    void customMetadataPassesBothWays() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        Metadata sent = new Metadata();
        sent.put(EchoMetadataInterceptor.ECHO, "polo");
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();

        greeter(channel(gateway.port())).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(sent),
                MetadataUtils.newCaptureMetadataInterceptor(headers, trailers)).sayHello(hello("joe"));

        assertEquals("polo", headers.get().get(EchoMetadataInterceptor.ECHO));
        assertEquals("polo", trailers.get().get(EchoMetadataInterceptor.ECHO_TRAILER));
    }

    @Test
    void grpcTimeoutReachesTheServer() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();

        GreeterGrpc.newBlockingStub(channel(gateway.port())).withDeadlineAfter(30, TimeUnit.SECONDS)
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
                .sayHello(hello("joe"));

        long left = Long.parseLong(trailers.get().get(EchoMetadataInterceptor.DEADLINE_TRAILER));
        assertTrue(left > 20_000 && left <= 30_000, "the server saw a deadline " + left + " ms away");
    }

    // ---- the gateway's own errors -----------------------------------------------------------------------------

    @Test
    void noMatchingApiIsUnimplemented() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = closeLater(ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .rules(GrpcRules.INSTANCE)
                .api(TykApi.keyless("routes", "/routeguide.RouteGuide", "h2c://127.0.0.1:" + server.port())
                        .stripListenPath(false))
                .start());

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> greeter(channel(gateway.port())).sayHello(hello("joe")));

        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("no API matches"), e.getStatus().toString());
    }

    @Test
    void refusedUpstreamIsUnavailable() throws Exception {
        GrpcTestServers server = server();
        int port = server.port();
        server.close();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + port);

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> greeter(channel(gateway.port())).sayHello(hello("joe")));

        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    }

    @Test
    void exceededDeadlineIsSeenByTheServerAsACancel() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> GreeterGrpc.newBlockingStub(channel(gateway.port()))
                        .withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                        .sayHello(hello(GreeterService.SLOW_PREFIX + "5000")));

        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        assertTrue(server.cancellations().await(1, Duration.ofSeconds(TIMEOUT_SECONDS)),
                "the server never saw the call end");
    }

    @Test
    void upstreamSlowerThanProxyDefaultTimeoutIsDeadlineExceeded() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = closeLater(ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true).put("proxy_default_timeout", 1))
                .rules(GrpcRules.INSTANCE)
                .api(TykApi.keyless("greeter", "/helloworld.Greeter", "h2c://127.0.0.1:" + server.port())
                        .stripListenPath(false))
                .start());

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> greeter(channel(gateway.port())).sayHello(hello(GreeterService.SLOW_PREFIX + "5000")));

        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("gateway: "), e.getStatus().toString());
        assertTrue(server.cancellations().await(1, Duration.ofSeconds(TIMEOUT_SECONDS)),
                "the gateway should cancel the call it gave up on");
    }

    @Test
    void upstreamDyingMidStreamEndsTheCallWithUnavailable() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        Iterator<Feature> features = RouteGuideGrpc.newBlockingStub(channel(gateway.port()))
                .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .listFeatures(RouteGuideService.holdRequest());
        features.next();

        server.close();

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, features::hasNext);
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    }

    @Test
    void stoppingGatewayLetsOpenCallsFinishThenCloses() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        var call = GreeterGrpc.newFutureStub(channel(gateway.port())).withDeadlineAfter(30, TimeUnit.SECONDS)
                .sayHello(hello(GreeterService.SLOW_PREFIX + "1000"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (server.cancellations().started() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }

        // GOAWAY: the open call runs to its end, then the connection closes.
        io.netty.util.concurrent.Future<Void> drained = gateway.drain();
        assertFalse(drained.await(200, TimeUnit.MILLISECONDS), "the connection still carries a call");

        assertEquals("Hello " + GreeterService.SLOW_PREFIX + "1000", call.get(10, TimeUnit.SECONDS).getMessage());
        assertTrue(drained.await(5, TimeUnit.SECONDS), "the drain did not complete");
    }

    @Test
    void closingAfterTheGracePeriodEndsStreamsThatWouldNotFinish() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .rules(GrpcRules.INSTANCE)
                .api(TykApi.keyless("routes", "/routeguide.RouteGuide", "h2c://127.0.0.1:" + server.port())
                        .stripListenPath(false))
                .start();
        Iterator<Feature> features = RouteGuideGrpc.newBlockingStub(channel(gateway.port()))
                .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .listFeatures(RouteGuideService.holdRequest());
        features.next();
        io.netty.util.concurrent.Future<Void> drained = gateway.drain();
        assertFalse(drained.await(200, TimeUnit.MILLISECONDS), "a held stream keeps the drain waiting");
        long start = System.nanoTime();

        gateway.close();

        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "close waited for the stream");
        assertThrows(StatusRuntimeException.class, features::hasNext);
        assertTrue(server.cancellations().await(1, Duration.ofSeconds(TIMEOUT_SECONDS)),
                "the upstream call should be cancelled");
    }

    // ---- TLS ---------------------------------------------------------------------------------------------------

    @Test
    void tlsOnBothSidesWithAlpn() throws Exception {
        GrpcTestServers server = closeLater(
                GrpcTestServers.startTls(0, TestCerts.localhostPem(), TestCerts.localhostKey()));
        ProxyUnderTest gateway = closeLater(ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .rules(GrpcRules.INSTANCE)
                .https(PemKeyPair.of(TestCerts.localhostPem(), TestCerts.localhostKey()))
                .api(TykApi.keyless("routes", "/routeguide.RouteGuide", "https://localhost:" + server.port())
                        .stripListenPath(false).skipUpstreamVerify())
                .start());
        ChannelCredentials tls = TlsChannelCredentials.newBuilder().trustManager(TestCerts.caPem().toFile()).build();

        Feature feature = RouteGuideGrpc.newBlockingStub(channel(gateway.port(), tls, null))
                .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .getFeature(RouteGuideService.FEATURES.get(0).getLocation());

        assertEquals(RouteGuideService.FEATURES.get(0).getName(), feature.getName());
    }

    @Test
    void tlsInFrontOfH2cCarriesABidirectionalChat() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = closeLater(ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .rules(GrpcRules.INSTANCE)
                .https(PemKeyPair.of(TestCerts.localhostPem(), TestCerts.localhostKey()))
                .api(TykApi.keyless("routes", "/routeguide.RouteGuide", "h2c://127.0.0.1:" + server.port())
                        .stripListenPath(false))
                .start());
        ChannelCredentials tls = TlsChannelCredentials.newBuilder().trustManager(TestCerts.caPem().toFile()).build();
        BlockingQueue<RouteNote> replies = new LinkedBlockingQueue<>();
        CompletableFuture<Void> ended = new CompletableFuture<>();
        StreamObserver<RouteNote> notes = RouteGuideGrpc.newStub(channel(gateway.port(), tls, null))
                .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .routeChat(new StreamObserver<>() {
                    @Override
                    public void onNext(RouteNote note) {
                        replies.add(note);
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        ended.complete(null);
                    }
                });

        notes.onNext(RouteNote.newBuilder().setLocation(RouteGuideService.point(7, 7)).setMessage("first").build());
        assertEquals("first", replies.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS).getMessage());
        notes.onNext(RouteNote.newBuilder().setLocation(RouteGuideService.point(7, 7)).setMessage("second").build());
        // The server answers a note with every earlier note at its location, then the note itself.
        assertEquals("first", replies.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS).getMessage());
        assertEquals("second", replies.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS).getMessage());
        notes.onCompleted();
        ended.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void fourMebibyteMessagesPassBothWays() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        // Just under gRPC's default 4 MiB limit on the server's side once framed.
        String name = "x".repeat(4 * 1024 * 1024 - 16);

        HelloReply reply = greeter(channel(gateway.port())).withMaxInboundMessageSize(8 * 1024 * 1024)
                .sayHello(hello(name));

        assertEquals("Hello " + name, reply.getMessage());
    }

    @Test
    void thousandConcurrentCallsShareOneClientConnection() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        GreeterGrpc.GreeterFutureStub stub = GreeterGrpc.newFutureStub(channel(gateway.port()))
                .withDeadlineAfter(30, TimeUnit.SECONDS);

        List<com.google.common.util.concurrent.ListenableFuture<HelloReply>> calls = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            // Each reply waits 200 ms on the server, so the calls really are open at the same time.
            calls.add(stub.sayHello(hello(GreeterService.SLOW_PREFIX + "200")));
        }
        for (var call : calls) {
            assertEquals("Hello " + GreeterService.SLOW_PREFIX + "200", call.get(30, TimeUnit.SECONDS).getMessage());
        }
        assertEquals(1, gateway.acceptedConnections());
    }

    @Test
    void roundRobinSpreadsCallsOfOneConnectionEvenly() throws Exception {
        GrpcTestServers first = server();
        GrpcTestServers second = server();
        ProxyUnderTest gateway = closeLater(ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .rules(GrpcRules.INSTANCE)
                .api(TykApi.keyless("greeter", "/helloworld.Greeter", "h2c://unused:1").stripListenPath(false)
                        .loadBalance("h2c://127.0.0.1:" + first.port(), "h2c://127.0.0.1:" + second.port()))
                .start());
        GreeterGrpc.GreeterBlockingStub stub = greeter(channel(gateway.port()));

        for (int i = 0; i < 10; i++) {
            stub.sayHello(hello("call " + i));
        }

        assertEquals(5, first.cancellations().started(), "calls on the first server");
        assertEquals(5, second.cancellations().started(), "calls on the second server");
    }

    @Test
    void clientCancelReachesTheServer() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
        RouteGuideGrpc.RouteGuideBlockingStub routes = RouteGuideGrpc.newBlockingStub(channel(gateway.port()));

        Iterator<Feature> features = context.call(() -> routes.listFeatures(RouteGuideService.holdRequest()));
        features.next();
        context.cancel(null);

        assertTrue(server.cancellations().await(1, Duration.ofSeconds(TIMEOUT_SECONDS)),
                "the server never saw the cancel");
    }

    @Test
    void killedUpstreamGivesUnavailablePromptly() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        var call = GreeterGrpc.newFutureStub(channel(gateway.port())).withDeadlineAfter(30, TimeUnit.SECONDS)
                .sayHello(hello(GreeterService.SLOW_PREFIX + "20000"));
        // The call is open on the server once it has started there.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (server.cancellations().started() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        long killedAt = System.nanoTime();

        server.close();

        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
        assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(e.getCause()).getCode());
        assertTrue(System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(5), "UNAVAILABLE came late");
    }

    @Test
    void slowConsumerOfAFastStreamKeepsTheGatewaysBuffersBounded() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        int messages = 300;
        int size = 256 * 1024;
        CompletableFuture<Integer> received = new CompletableFuture<>();
        try (HeapWatch watch = HeapWatch.start()) {
            RouteGuideGrpc.newStub(channel(gateway.port())).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .listFeatures(RouteGuideService.generateRequest(messages, size), slowReader(received));

            assertEquals(messages, received.get(60, TimeUnit.SECONDS));
            // 75 MiB went through; without end-to-end flow control the gateway would have held most of it.
            assertTrue(watch.maxNettyDirect() < 24 * HeapWatch.MIB, watch.summary());
        }
    }

    /** Takes one message at a time, 5 ms apart: a consumer far slower than the server's producer. */
    private static io.grpc.stub.ClientResponseObserver<dev.gateway.examples.grpc.routeguide.Rectangle, Feature>
            slowReader(CompletableFuture<Integer> received) {
        return new io.grpc.stub.ClientResponseObserver<>() {
            private io.grpc.stub.ClientCallStreamObserver<dev.gateway.examples.grpc.routeguide.Rectangle> call;
            private int count;

            @Override
            public void beforeStart(
                    io.grpc.stub.ClientCallStreamObserver<dev.gateway.examples.grpc.routeguide.Rectangle> call) {
                this.call = call;
                call.disableAutoRequestWithInitial(1);
            }

            @Override
            public void onNext(Feature feature) {
                count++;
                try {
                    Thread.sleep(5); // the slowness under test, not a wait for an event
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                call.request(1);
            }

            @Override
            public void onError(Throwable t) {
                received.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                received.complete(count);
            }
        };
    }

    @Test
    void http1ClientReachesAnH2cUpstream() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        byte[] message = hello("joe").toByteArray();
        java.nio.ByteBuffer framed = java.nio.ByteBuffer.allocate(5 + message.length);
        framed.put((byte) 0).putInt(message.length).put(message);
        Path body = java.nio.file.Files.write(dir.resolve("hello.bin"), framed.array());

        dev.gateway.http.support.Curl.Result result = dev.gateway.http.support.Curl.run("-sS", "--http1.1",
                "-o", dir.resolve("reply.bin").toString(), "-w", "%{http_version} %{http_code}",
                "-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary", "@" + body,
                "http://127.0.0.1:" + gateway.port() + "/helloworld.Greeter/SayHello");

        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals("1.1 200", result.stdout());
        byte[] reply = java.nio.file.Files.readAllBytes(dir.resolve("reply.bin"));
        assertEquals("Hello joe", HelloReply.parseFrom(java.util.Arrays.copyOfRange(reply, 5, reply.length))
                .getMessage());
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
