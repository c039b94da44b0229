package dev.gateway.http.internal.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;
import io.netty.channel.DefaultEventLoop;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The chain runner's handling of decisions made later: at once when already made, else as a task of the loop. (A
 * failed one takes the way of a pending one: RequestFilterTest checks its answer through a whole proxy.)
 */
class FilterRunTest {

    private final DefaultEventLoop loop = new DefaultEventLoop();

    @AfterEach
    void stopLoop() {
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** What the run told its ending, in order; "proceed" or the refusal's name. */
    private static final class Recorded implements FilterRun.Ending {
        final List<String> events = new ArrayList<>();

        @Override
        public boolean waitsFor(FilterRun run) {
            return true;
        }

        @Override
        public void proceed() {
            events.add("proceed");
        }

        @Override
        public void stop(FilterDecision decision) {
            events.add(decision.refusal().name());
        }
    }

    private static FilteredRequest request() {
        return new FilteredRequest(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x"), null,
                new InetSocketAddress("127.0.0.1", 5000), "c1", "/x", null);
    }

    /** Starts a run on the loop; returns what its ending had heard when start() returned. */
    private List<String> startOnLoop(List<RequestFilter> filters, Recorded ending) throws Exception {
        return loop.submit(() -> {
            new FilterRun(filters, request(), loop, TimeUnit.SECONDS.toNanos(5), ending).start();
            return List.copyOf(ending.events);
        }).get(5, TimeUnit.SECONDS);
    }

    @Test
    void laterDecisionsAlreadyMadeAreTakenBeforeStartReturns() throws Exception {
        Recorded ending = new Recorded();
        List<String> atStart = startOnLoop(List.of(
                request -> FilterDecision.later(CompletableFuture.completedFuture(FilterDecision.proceed())),
                request -> FilterDecision.later(CompletableFuture.completedFuture(
                        FilterDecision.later(CompletableFuture.completedFuture(FilterDecision.proceed())))),
                request -> FilterDecision.proceed()), ending);
        assertEquals(List.of("proceed"), atStart);
    }

    @Test
    void refusalAlreadyMadeStopsTheRunAtOnce() throws Exception {
        Recorded ending = new Recorded();
        List<String> atStart = startOnLoop(List.of(
                request -> FilterDecision.later(CompletableFuture.completedFuture(
                        FilterDecision.refuse(ProxyFailure.ACCESS_DENIED))),
                request -> {
                    throw new AssertionError("a refused request went on to the next filter");
                }), ending);
        assertEquals(List.of(ProxyFailure.ACCESS_DENIED.name()), atStart);
    }

    @Test
    void pendingDecisionResumesOnTheLoopAsATaskOfItsOwn() throws Exception {
        Recorded ending = new Recorded();
        CompletableFuture<FilterDecision> pending = new CompletableFuture<>();
        List<String> atStart = startOnLoop(List.of(request -> FilterDecision.later(pending),
                request -> FilterDecision.later(CompletableFuture.completedFuture(FilterDecision.proceed()))), ending);
        assertEquals(List.of(), atStart);
        pending.complete(FilterDecision.proceed());
        assertEquals(List.of("proceed"), loop.submit(() -> List.copyOf(ending.events)).get(5, TimeUnit.SECONDS));
    }
}
