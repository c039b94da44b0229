package dev.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.tls.PemKeyPair;
import dev.gateway.examples.grpc.EchoMetadataInterceptor;
import dev.gateway.examples.grpc.GreeterService;
import dev.gateway.examples.grpc.GrpcTestServers;
import dev.gateway.examples.grpc.RouteGuideService;
import dev.gateway.examples.grpc.helloworld.GreeterGrpc;
import dev.gateway.examples.grpc.helloworld.HelloReply;
import dev.gateway.examples.grpc.routeguide.Feature;
import dev.gateway.examples.grpc.routeguide.Point;
import dev.gateway.examples.grpc.routeguide.Rectangle;
import dev.gateway.examples.grpc.routeguide.RouteGuideGrpc;
import dev.gateway.examples.grpc.routeguide.RouteNote;
import dev.gateway.examples.grpc.routeguide.RouteSummary;
import dev.gateway.http.support.Curl;
import dev.gateway.http.support.HeapWatch;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TykApi;
import io.grpc.ChannelCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * gRPC through the gateway with grpc-java on both sides: the four kinds of call, metadata and trailers, TLS on
 * either side, large messages, many concurrent calls, per-call load balancing and end-to-end flow control.
 */
class GrpcCallsTest extends GrpcTestBase {

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
        Chat chat = Chat.open(channel(gateway.port()));

        for (int i = 0; i < 10; i++) {
            // A fresh location each time: the server answers with this note alone, at once.
            chat.say(RouteGuideService.point(100 + i, 0), "ping " + i);
            RouteNote reply = chat.nextReply();
            assertNotNull(reply, "no reply to ping " + i + " while the call is still open");
            assertEquals("ping " + i, reply.getMessage());
        }
        chat.end();
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
        byte[] binary = {0, (byte) 0xff, 10, 13, 58};
        sent.put(EchoMetadataInterceptor.ECHO_BIN, binary);
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();

        greeter(channel(gateway.port())).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(sent),
                MetadataUtils.newCaptureMetadataInterceptor(headers, trailers)).sayHello(hello("joe"));

        assertEquals("polo", headers.get().get(EchoMetadataInterceptor.ECHO));
        assertArrayEquals(binary, headers.get().get(EchoMetadataInterceptor.ECHO_BIN));
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

    // ---- TLS ---------------------------------------------------------------------------------------------------

    @Test
    void tlsOnBothSidesWithAlpnAndACustomDomain() throws Exception {
        GrpcTestServers server = closeLater(
                GrpcTestServers.startTls(0, TestCerts.localhostPem(), TestCerts.localhostKey()));
        ProxyUnderTest gateway = closeLater(grpcGateway()
                .https(PemKeyPair.of(TestCerts.localhostPem(), TestCerts.localhostKey()),
                        PemKeyPair.fromPath(TestCerts.examplePem()))
                .api(TykApi.keyless("routes", "/routeguide.RouteGuide", "https://localhost:" + server.port())
                        .domain("api.example.com").stripListenPath(false).skipUpstreamVerify())
                .start());
        ChannelCredentials tls = TlsChannelCredentials.newBuilder().trustManager(TestCerts.caPem().toFile()).build();

        // SNI and :authority api.example.com: the frontend serves that domain's certificate and route.
        Feature feature = RouteGuideGrpc.newBlockingStub(channel(gateway.port(), tls, "api.example.com"))
                .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .getFeature(RouteGuideService.FEATURES.get(0).getLocation());

        assertEquals(RouteGuideService.FEATURES.get(0).getName(), feature.getName());
        StatusRuntimeException other = assertThrows(StatusRuntimeException.class,
                () -> RouteGuideGrpc.newBlockingStub(channel(gateway.port(), tls, null))
                        .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                        .getFeature(RouteGuideService.FEATURES.get(0).getLocation()));
        assertEquals(Status.Code.UNIMPLEMENTED, other.getStatus().getCode(), "localhost is not the API's domain");
    }

    @Test
    void tlsInFrontOfH2cCarriesABidirectionalChat() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = closeLater(grpcGateway()
                .https(PemKeyPair.of(TestCerts.localhostPem(), TestCerts.localhostKey()))
                .api(TykApi.keyless("routes", "/routeguide.RouteGuide", "h2c://127.0.0.1:" + server.port())
                        .stripListenPath(false))
                .start());
        ChannelCredentials tls = TlsChannelCredentials.newBuilder().trustManager(TestCerts.caPem().toFile()).build();
        Chat chat = Chat.open(channel(gateway.port(), tls, null));

        chat.say(RouteGuideService.point(7, 7), "first");
        assertEquals("first", chat.nextReply().getMessage());
        chat.say(RouteGuideService.point(7, 7), "second");
        // The server answers a note with every earlier note at its location, then the note itself.
        assertEquals("first", chat.nextReply().getMessage());
        assertEquals("second", chat.nextReply().getMessage());
        chat.end();
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

        List<ListenableFuture<HelloReply>> calls = new ArrayList<>();
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
        ProxyUnderTest gateway = closeLater(grpcGateway()
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
    private static ClientResponseObserver<Rectangle, Feature>
            slowReader(CompletableFuture<Integer> received) {
        return new ClientResponseObserver<>() {
            private ClientCallStreamObserver<Rectangle> call;
            private int count;

            @Override
            public void beforeStart(
                    ClientCallStreamObserver<Rectangle> call) {
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
        ByteBuffer framed = ByteBuffer.allocate(5 + message.length);
        framed.put((byte) 0).putInt(message.length).put(message);
        Path body = Files.write(dir.resolve("hello.bin"), framed.array());

        Curl.Result result = Curl.run("-sS", "--http1.1",
                "-o", dir.resolve("reply.bin").toString(), "-w", "%{http_version} %{http_code}",
                "-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary", "@" + body,
                "http://127.0.0.1:" + gateway.port() + "/helloworld.Greeter/SayHello");

        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals("1.1 200", result.stdout());
        byte[] reply = Files.readAllBytes(dir.resolve("reply.bin"));
        assertEquals("Hello joe", HelloReply.parseFrom(Arrays.copyOfRange(reply, 5, reply.length))
                .getMessage());
    }

}
