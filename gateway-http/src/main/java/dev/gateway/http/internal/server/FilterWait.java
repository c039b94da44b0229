package dev.gateway.http.internal.server;

import dev.gateway.core.net.ClientAddress;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.Route;
import dev.gateway.http.internal.exchange.FilterRun;
import dev.gateway.http.internal.exchange.RequestTarget;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;

/**
 * A routed request waiting for its route's filters: what admission found (route, target, switch), kept until the
 * {@link FilterRun} decides, then handed back to the {@link RequestCycle} that waits, if it still does.
 */
final class FilterWait implements FilterRun.Ending {

    private final RequestCycle cycle;
    private final Route route;
    private final RequestTarget target;
    private final boolean extendedConnect;

    private FilterWait(RequestCycle cycle, Route route, RequestTarget target, boolean extendedConnect) {
        this.cycle = cycle;
        this.route = route;
        this.target = target;
        this.extendedConnect = extendedConnect;
    }

    /**
     * Runs {@code route}'s filters on {@code request}, bounded by {@code proxy_default_timeout}; {@code cycle} hears
     * the decision, on the connection's event loop, if it still waits for the run returned.
     */
    static FilterRun start(RequestCycle cycle, ChannelHandlerContext ctx, long timeoutNanos, HttpRequest request,
            Route route, RequestTarget target, boolean extendedConnect) {
        FilteredRequest filtered = new FilteredRequest(request, route, ClientAddress.of(ctx.channel()),
                ctx.channel().id().asShortText());
        FilterRun run = new FilterRun(route.filters(), filtered, ctx.executor(), timeoutNanos,
                new FilterWait(cycle, route, target, extendedConnect));
        run.start();
        return run;
    }

    @Override
    public boolean waitsFor(FilterRun run) {
        return cycle.waitsFor(run);
    }

    @Override
    public void proceed() {
        cycle.decided(() -> cycle.proceed(route, target, extendedConnect));
    }

    @Override
    public void stop(FilterDecision decision) {
        cycle.decided(() -> cycle.stop(decision, route));
    }
}
