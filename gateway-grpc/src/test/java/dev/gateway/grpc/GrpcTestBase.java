package dev.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.testing.Closer;
import dev.gateway.examples.grpc.GrpcTestServers;
import dev.gateway.examples.grpc.helloworld.GreeterGrpc;
import dev.gateway.examples.grpc.helloworld.HelloRequest;
import dev.gateway.examples.grpc.routeguide.Point;
import dev.gateway.examples.grpc.routeguide.RouteGuideGrpc;
import dev.gateway.examples.grpc.routeguide.RouteNote;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TykApi;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the gRPC tests share: grpc-java servers and channels on port 0, a gateway with HTTP/2 on and gRPC's
 * rules, and everything closed after each test in reverse order.
 */
abstract class GrpcTestBase {

    protected static final long TIMEOUT_SECONDS = 10;

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();

    protected <T extends AutoCloseable> T closeLater(T resource) {
        return closer.later(resource);
    }

    protected GrpcTestServers server() throws Exception {
        return closeLater(GrpcTestServers.start(0));
    }

    /** A gateway with HTTP/2 on, gRPC's rules, and one API per service at its gRPC path prefix. */
    protected ProxyUnderTest gateway(String target) throws Exception {
        return closeLater(grpcGateway()
                .api(TykApi.keyless("greeter", "/helloworld.Greeter", target).stripListenPath(false))
                .api(TykApi.keyless("routes", "/routeguide.RouteGuide", target).stripListenPath(false))
                .start());
    }

    /** HTTP/2 on and gRPC's rules; the APIs are the test's. */
    protected ProxyUnderTest.Builder grpcGateway() {
        return ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .rules(GrpcRules.INSTANCE);
    }

    /** Waits until the server has started a call: from then on it is open there. */
    protected static void awaitCallStarted(GrpcTestServers server) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (server.cancellations().started() == 0) {
            assertTrue(System.nanoTime() < deadline, "the server never started the call");
            Thread.onSpinWait();
        }
    }

    protected ManagedChannel channel(int port) {
        return channel(port, InsecureChannelCredentials.create(), null);
    }

    protected ManagedChannel channel(int port, ChannelCredentials credentials, String authority) {
        var builder = Grpc.newChannelBuilderForAddress("localhost", port, credentials);
        if (authority != null) {
            builder.overrideAuthority(authority);
        }
        ManagedChannel channel = builder.build();
        closer.<AutoCloseable>later(() -> {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        });
        return channel;
    }

    protected static GreeterGrpc.GreeterBlockingStub greeter(ManagedChannel channel) {
        return GreeterGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    protected static HelloRequest hello(String name) {
        return HelloRequest.newBuilder().setName(name).build();
    }

    protected static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
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

    /** A RouteChat call: notes go out one by one, replies queue up as they arrive. */
    protected static final class Chat implements StreamObserver<RouteNote> {
        private final BlockingQueue<RouteNote> replies = new LinkedBlockingQueue<>();
        private final CompletableFuture<Void> ended = new CompletableFuture<>();
        private StreamObserver<RouteNote> notes;

        static Chat open(ManagedChannel channel) {
            Chat chat = new Chat();
            chat.notes = RouteGuideGrpc.newStub(channel).withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .routeChat(chat);
            return chat;
        }

        void say(Point location, String message) {
            notes.onNext(RouteNote.newBuilder().setLocation(location).setMessage(message).build());
        }

        /** The next reply; fails the test when none comes while the call is open. */
        RouteNote nextReply() throws InterruptedException {
            RouteNote reply = replies.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(reply, "no reply while the call is still open");
            return reply;
        }

        /** Half-closes the call and waits for the server to end it. */
        void end() throws Exception {
            notes.onCompleted();
            ended.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }

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
    }
}
