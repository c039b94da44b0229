package dev.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.exchange.ExchangeRecord;
import dev.gateway.examples.grpc.GreeterService;
import dev.gateway.examples.grpc.GrpcTestServers;
import dev.gateway.examples.grpc.RouteGuideService;
import dev.gateway.examples.grpc.helloworld.GreeterGrpc;
import dev.gateway.examples.grpc.routeguide.Feature;
import dev.gateway.examples.grpc.routeguide.RouteGuideGrpc;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilters;
import dev.gateway.http.ResponseFilter;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TykApi;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What a gRPC client sees when something goes wrong: the gateway's own errors as gRPC statuses, deadlines,
 * cancels in both directions, dying upstreams, and a stopping gateway.
 */
class GrpcFailuresTest extends GrpcTestBase {

    // ---- the gateway's own errors -----------------------------------------------------------------------------

    @Test
    void noMatchingApiIsUnimplemented() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = closeLater(grpcGateway()
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
    void everyHostDownIsUnavailable() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = closeLater(grpcGateway()
                .api(TykApi.keyless("greeter", "/helloworld.Greeter", "h2c://127.0.0.1:" + server.port())
                        .stripListenPath(false))
                .health(target -> false)
                .start());

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> greeter(channel(gateway.port())).sayHello(hello("joe")));

        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("all hosts are down"), e.getStatus().toString());
    }

    @Test
    void aRequestFilterRefusingACallIsPermissionDeniedAndALaterYesReachesTheServer() throws Exception {
        GrpcTestServers server = server();
        BlockingQueue<ExchangeRecord> ended = new LinkedBlockingQueue<>();
        ProxyUnderTest gateway = closeLater(grpcGateway()
                .exchanges(ended::add)
                .api(TykApi.keyless("greeter", "/helloworld.Greeter", "h2c://127.0.0.1:" + server.port())
                        .stripListenPath(false))
                .filters(api -> List.of(request -> request.head().headers().contains("x-let-in")
                        ? FilterDecision.later(CompletableFuture.supplyAsync(FilterDecision::proceed))
                        : FilterDecision.refuse(ProxyFailure.ACCESS_DENIED)))
                .start());

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> greeter(channel(gateway.port())).sayHello(hello("joe")));
        Metadata letIn = new Metadata();
        letIn.put(Metadata.Key.of("x-let-in", Metadata.ASCII_STRING_MARSHALLER), "yes");
        String reply = greeter(channel(gateway.port()))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(letIn))
                .sayHello(hello("joe")).getMessage();

        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("disallowed"), e.getStatus().toString());
        assertEquals("Hello joe", reply);
        // Each call's end is reported with the gRPC status its client got.
        ExchangeRecord refused = ended.poll(10, TimeUnit.SECONDS);
        ExchangeRecord served = ended.poll(10, TimeUnit.SECONDS);
        assertEquals(ExchangeRecord.Kind.LOCAL, refused.kind());
        assertEquals(Status.Code.PERMISSION_DENIED.value(), refused.grpcStatus());
        assertEquals("ACCESS_DENIED", refused.outcome());
        assertEquals(ExchangeRecord.Kind.PROXIED, served.kind());
        assertEquals(0, served.grpcStatus());
        assertEquals("HTTP/2.0", served.protocol());
        assertEquals("/helloworld.Greeter/SayHello", served.target());
    }

    @Test
    void aRefusalsOwnHeadersReachTheCallerInItsTrailersOnlyAnswer() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = closeLater(grpcGateway()
                .api(TykApi.keyless("greeter", "/helloworld.Greeter", "h2c://127.0.0.1:" + server.port())
                        .stripListenPath(false))
                .filters(api -> List.of(request -> FilterDecision.refuse(ProxyFailure.ACCESS_DENIED,
                        new DefaultHttpHeaders().add("retry-after", "7").add("content-length", "99"))))
                .start());

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> greeter(channel(gateway.port())).sayHello(hello("joe")));

        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        assertEquals("7", e.getTrailers().get(Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER)));
        assertEquals(null, e.getTrailers().get(Metadata.Key.of("content-length", Metadata.ASCII_STRING_MARSHALLER)),
                "a filter's framing header was sent");
    }

    @Test
    void aResponseFilterSeesACallsTrailersAndTheCallerGetsItsChanges() throws Exception {
        GrpcTestServers server = server();
        ResponseFilter echoStatus = new ResponseFilter() {
            @Override
            public void onHead(FilteredRequest request, HttpResponse head) {
                head.headers().set("x-head-seen", "yes");
            }

            @Override
            public void onTrailers(FilteredRequest request, HttpHeaders trailers) {
                trailers.set("x-status-seen", trailers.get("grpc-status"));
            }
        };
        ProxyUnderTest gateway = closeLater(grpcGateway()
                .api(TykApi.keyless("greeter", "/helloworld.Greeter", "h2c://127.0.0.1:" + server.port())
                        .stripListenPath(false))
                .filters(RequestFilters.of(api -> List.of(), api -> List.of(echoStatus)))
                .start());
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();

        String reply = greeter(channel(gateway.port()))
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
                .sayHello(hello("joe")).getMessage();

        assertEquals("Hello joe", reply);
        assertEquals("yes", headers.get().get(Metadata.Key.of("x-head-seen", Metadata.ASCII_STRING_MARSHALLER)));
        assertEquals("0", trailers.get().get(Metadata.Key.of("x-status-seen", Metadata.ASCII_STRING_MARSHALLER)));
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
        awaitCallStarted(server);

        // GOAWAY: the open call runs to its end, then the connection closes.
        Future<Void> drained = gateway.drain();
        assertFalse(drained.await(200, TimeUnit.MILLISECONDS), "the connection still carries a call");

        assertEquals("Hello " + GreeterService.SLOW_PREFIX + "1000", call.get(10, TimeUnit.SECONDS).getMessage());
        assertTrue(drained.await(5, TimeUnit.SECONDS), "the drain did not complete");
    }

    @Test
    void closingAfterTheGracePeriodEndsStreamsThatWouldNotFinish() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = grpcGateway()
                .api(TykApi.keyless("routes", "/routeguide.RouteGuide", "h2c://127.0.0.1:" + server.port())
                        .stripListenPath(false))
                .start();
        Iterator<Feature> features = RouteGuideGrpc.newBlockingStub(channel(gateway.port()))
                .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .listFeatures(RouteGuideService.holdRequest());
        features.next();
        Future<Void> drained = gateway.drain();
        assertFalse(drained.await(200, TimeUnit.MILLISECONDS), "a held stream keeps the drain waiting");
        long start = System.nanoTime();

        gateway.close();

        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "close waited for the stream");
        assertThrows(StatusRuntimeException.class, features::hasNext);
        assertTrue(server.cancellations().await(1, Duration.ofSeconds(TIMEOUT_SECONDS)),
                "the upstream call should be cancelled");
    }

    @Test
    void clientCancelReachesTheServer() throws Exception {
        GrpcTestServers server = server();
        ProxyUnderTest gateway = gateway("h2c://127.0.0.1:" + server.port());
        Context.CancellableContext context = Context.current().withCancellation();
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
        awaitCallStarted(server);
        long killedAt = System.nanoTime();

        server.close();

        var e = assertThrows(ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
        assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(e.getCause()).getCode());
        assertTrue(System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(5), "UNAVAILABLE came late");
    }

}
