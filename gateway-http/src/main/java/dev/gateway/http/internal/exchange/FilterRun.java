package dev.gateway.http.internal.exchange;

import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request through its route's {@link RequestFilter}s, in order, until one refuses or answers it, or all let it
 * go on. A filter that decides later is waited for without blocking: its answer comes back to the connection's event
 * loop, always as a task of its own (never inside the call that completed it), and only while the connection still
 * waits for this run. A later decision that is already made when the filter returns it (a store in memory answers
 * with a completed future) is taken at once on the event loop, as a decision returned directly would be: no timer,
 * no task. A decision that takes longer than {@code proxy_default_timeout} refuses the request, so a
 * filter whose store never answers cannot hold a request, and its connection, forever.
 */
public final class FilterRun {

    private static final Logger log = LoggerFactory.getLogger(FilterRun.class);
    private static final FilterDecision FILTER_FAILED = FilterDecision.refuse(ProxyFailure.FILTER_FAILED);

    /** Where a run ends: the connection that waits for it. */
    public interface Ending {
        /** Whether the connection still waits for {@code run}; false once it closed or moved on. */
        boolean waitsFor(FilterRun run);

        /** Every filter let the request go on. */
        void proceed();

        /** A filter refused or answered the request ({@code decision} says which), or failed. */
        void stop(FilterDecision decision);
    }

    private final List<RequestFilter> filters;
    private final FilteredRequest request;
    private final EventExecutor loop;
    private final long timeoutNanos;
    private final Ending ending;
    private ScheduledFuture<?> timeout;

    public FilterRun(List<RequestFilter> filters, FilteredRequest request, EventExecutor loop, long timeoutNanos,
            Ending ending) {
        this.filters = filters;
        this.request = request;
        this.loop = loop;
        this.timeoutNanos = timeoutNanos;
        this.ending = ending;
    }

    /** Runs the filters from the first; the ending is called now, or later for a filter that decides later. */
    public void start() {
        runFrom(0);
    }

    private void runFrom(int index) {
        for (int i = index; i < filters.size(); i++) {
            FilterDecision decision;
            try {
                decision = filters.get(i).filter(request);
            } catch (RuntimeException e) {
                failed(i, e);
                return;
            }
            if (decision == null) {
                failed(i, new NullPointerException("the filter decided nothing"));
                return;
            }
            if (!decide(decision, i)) {
                return;
            }
        }
        ending.proceed();
    }

    /** Acts on one filter's decision; true when the run goes on to the next filter. */
    private boolean decide(FilterDecision decision, int index) {
        if (decision.refusal() != null || decision.answer() != null) {
            ending.stop(decision);
            return false;
        }
        if (decision.later() != null) {
            await(decision.later(), index);
            return false;
        }
        return true;
    }

    private void await(CompletionStage<FilterDecision> later, int index) {
        if (later instanceof CompletableFuture<FilterDecision> made && made.isDone() && !made.isCompletedExceptionally()
                && loop.inEventLoop()) {
            // Already decided (the memory stores' answers): go on as if the filter had returned the decision.
            FilterDecision decision = made.getNow(null);
            if (decision == null) {
                cancelTimeout();
                failed(index, new NullPointerException("the filter decided nothing"));
            } else {
                if (decision.later() == null) {
                    cancelTimeout();
                }
                if (decide(decision, index)) {
                    runFrom(index + 1);
                }
            }
            return;
        }
        if (timeout == null) {
            timeout = loop.schedule(this::timedOut, timeoutNanos, TimeUnit.NANOSECONDS);
        }
        later.whenComplete((decision, error) -> loop.execute(() -> resume(decision, error, index)));
    }

    private void resume(FilterDecision decision, Throwable error, int index) {
        if (!ending.waitsFor(this)) {
            timeout.cancel(false);
            return;
        }
        if (error != null || decision == null) {
            timeout.cancel(false);
            failed(index, error != null ? error : new NullPointerException("the filter decided nothing"));
            return;
        }
        if (decision.later() == null) {
            timeout.cancel(false);
            timeout = null;
        }
        if (decide(decision, index)) {
            runFrom(index + 1);
        }
    }

    /** Cancels the timer of a decision waited for before, if there is one. */
    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }

    private void timedOut() {
        if (ending.waitsFor(this)) {
            log.warn("api={} client={} conn={} a request filter did not decide within proxy_default_timeout",
                    request.route().apiId(), request.client(), request.connectionId());
            ending.stop(FILTER_FAILED);
        }
    }

    private void failed(int index, Throwable error) {
        log.warn("api={} client={} conn={} request filter {} failed: {}", request.route().apiId(), request.client(),
                request.connectionId(), filters.get(index).getClass().getName(), error.toString());
        ending.stop(FILTER_FAILED);
    }
}
