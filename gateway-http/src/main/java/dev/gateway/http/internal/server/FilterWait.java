package dev.gateway.http.internal.server;

import dev.gateway.http.FilterDecision;
import dev.gateway.http.Route;
import dev.gateway.http.internal.exchange.FilterRun;
import dev.gateway.http.internal.exchange.RequestTarget;

/**
 * A routed request waiting for its route's filters: what admission found (route, target, switch), kept until the
 * {@link FilterRun} decides, then handed back to the {@link RequestCycle} that waits, if it still does.
 */
final class FilterWait implements FilterRun.Ending {

    private final RequestCycle cycle;
    private final Route route;
    private final RequestTarget target;
    private final boolean extendedConnect;

    FilterWait(RequestCycle cycle, Route route, RequestTarget target, boolean extendedConnect) {
        this.cycle = cycle;
        this.route = route;
        this.target = target;
        this.extendedConnect = extendedConnect;
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
