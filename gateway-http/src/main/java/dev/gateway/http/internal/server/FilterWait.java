package dev.gateway.http.internal.server;

import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.internal.exchange.FilterRun;
import dev.gateway.http.internal.exchange.RequestTarget;
import io.netty.channel.ChannelHandlerContext;

/**
 * A routed request waiting for its route's filters: what admission found (route, target, switch), kept until the
 * {@link FilterRun} decides, then handed back to the {@link RequestCycle} that waits, if it still does.
 */
final class FilterWait implements FilterRun.Ending {

    private final RequestCycle cycle;
    private final FilteredRequest filtered;
    private final RequestTarget target;
    private final boolean extendedConnect;

    private FilterWait(RequestCycle cycle, FilteredRequest filtered, RequestTarget target, boolean extendedConnect) {
        this.cycle = cycle;
        this.filtered = filtered;
        this.target = target;
        this.extendedConnect = extendedConnect;
    }

    /**
     * Runs the route's filters on {@code filtered}, bounded by {@code proxy_default_timeout}; {@code cycle} hears
     * the decision, on the connection's event loop, if it still waits for the run returned.
     */
    static FilterRun start(RequestCycle cycle, ChannelHandlerContext ctx, long timeoutNanos,
            FilteredRequest filtered, RequestTarget target, boolean extendedConnect) {
        FilterRun run = new FilterRun(filtered.route().filters(), filtered, ctx.executor(), timeoutNanos,
                new FilterWait(cycle, filtered, target, extendedConnect));
        run.start();
        return run;
    }

    @Override
    public boolean waitsFor(FilterRun run) {
        return cycle.waitsFor(run);
    }

    @Override
    public void proceed() {
        cycle.decided(() -> cycle.proceed(filtered.route(), target, extendedConnect));
    }

    @Override
    public void stop(FilterDecision decision) {
        cycle.decided(() -> cycle.stop(decision, filtered.route()));
    }
}
