package dev.gateway.plugins.internal;

import dev.gateway.http.ExchangeEnd;
import dev.gateway.http.ProxyFailure;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code circuit_breakers} entry's breaker, shared by every event loop. Closed, it keeps the outcome of the last
 * {@code samples} calls and opens when the failed share of them reaches the threshold. Open, every call is refused
 * with 503 (gRPC {@code UNAVAILABLE}, a WebSocket upgrade too) for {@code return_to_service_after} seconds; then it
 * is half-open and lets one call through as a probe: the probe's success closes it, its failure opens it again.
 * With {@code disable_half_open_state} it closes outright when the time is up. Each change is logged once.
 *
 * <p>A failure is an upstream 5xx, a connect failure, a reset, a timeout, every host down, or a gRPC call that
 * ended {@code UNAVAILABLE}, {@code INTERNAL} or {@code DATA_LOSS}. What the client or another filter caused
 * (a refusal, a body too large, a client that left) counts neither way. Unlike Tyk, whose window is ten seconds of
 * calls, the window is the last {@code samples} calls, so a quiet endpoint is judged on as many calls as a busy
 * one.
 */
final class CircuitBreaker {

    private static final Logger log = LoggerFactory.getLogger(CircuitBreaker.class);

    private static final int INTERNAL = 13;
    private static final int UNAVAILABLE = 14;
    private static final int DATA_LOSS = 15;

    enum State { CLOSED, OPEN, HALF_OPEN }

    private enum Outcome { SUCCESS, FAILURE, NEITHER }

    private final String name;
    private final double threshold;
    private final boolean[] window;
    private final long openNanos;
    private final boolean halfOpenDisabled;
    private final LongSupplier clock;
    /** Hears calls let through while closed. */
    private final ExchangeEnd call = (status, rpcStatus, failure) -> ended(false, status, rpcStatus, failure);
    /** Hears the one call let through while half-open. */
    private final ExchangeEnd probe = (status, rpcStatus, failure) -> ended(true, status, rpcStatus, failure);

    private volatile State state = State.CLOSED;
    private int recorded;
    private int failures;
    private int next;
    private long openedAt;
    private boolean probing;

    /**
     * @param name what log lines call it: the API, method and path
     * @param threshold the failed share of calls that opens it, above 0 and at most 1
     */
    CircuitBreaker(String name, double threshold, int samples, long openSeconds, boolean halfOpenDisabled,
            LongSupplier clock) {
        this.name = name;
        this.threshold = threshold;
        this.window = new boolean[samples];
        this.openNanos = TimeUnit.SECONDS.toNanos(openSeconds);
        this.halfOpenDisabled = halfOpenDisabled;
        this.clock = clock;
    }

    State state() {
        return state;
    }

    /**
     * Lets a call through, or not.
     *
     * @return what must hear how the call ended; {@code null} when the breaker refuses it
     */
    ExchangeEnd admit() {
        if (state == State.CLOSED) {
            return call; // the common case takes no lock
        }
        synchronized (this) {
            switch (state) {
                case CLOSED:
                    return call;
                case OPEN:
                    if (clock.getAsLong() - openedAt < openNanos) {
                        return null;
                    }
                    if (halfOpenDisabled) {
                        close("return_to_service_after has passed");
                        return call;
                    }
                    state = State.HALF_OPEN;
                    log.info("{} circuit breaker half-open: one call goes through as a probe", name);
                    probing = true;
                    return probe;
                default:
                    if (probing) {
                        return null;
                    }
                    probing = true;
                    return probe;
            }
        }
    }

    private synchronized void ended(boolean isProbe, int status, int rpcStatus, ProxyFailure failure) {
        Outcome outcome = outcome(status, rpcStatus, failure);
        if (isProbe) {
            probing = false;
            if (state != State.HALF_OPEN || outcome == Outcome.NEITHER) {
                return; // a probe that proved nothing: the next call probes
            }
            if (outcome == Outcome.SUCCESS) {
                close("the probe succeeded");
            } else {
                open("the probe failed");
            }
            return;
        }
        if (state != State.CLOSED || outcome == Outcome.NEITHER) {
            return; // a call let through before the breaker opened, ending late, proves nothing now
        }
        record(outcome == Outcome.FAILURE);
    }

    private void record(boolean failed) {
        if (recorded == window.length && window[next]) {
            failures--;
        }
        window[next] = failed;
        if (failed) {
            failures++;
        }
        next = (next + 1) % window.length;
        recorded = Math.min(recorded + 1, window.length);
        if (recorded == window.length && failures >= threshold * window.length) {
            open(failures + " of the last " + window.length + " calls failed");
        }
    }

    private void open(String why) {
        state = State.OPEN;
        openedAt = clock.getAsLong();
        log.warn("{} circuit breaker open: {}; calls get 503 for {} s", name, why,
                TimeUnit.NANOSECONDS.toSeconds(openNanos));
    }

    private void close(String why) {
        state = State.CLOSED;
        recorded = 0;
        failures = 0;
        next = 0;
        log.info("{} circuit breaker closed: {}", name, why);
    }

    private static Outcome outcome(int status, int rpcStatus, ProxyFailure failure) {
        if (failure != null) {
            return switch (failure) {
                case ALL_HOSTS_DOWN, UPSTREAM_REFUSED, UPSTREAM_TLS, UPSTREAM_RESET, UPSTREAM_PROTOCOL,
                        UPSTREAM_TIMEOUT, HARD_TIMEOUT -> Outcome.FAILURE;
                default -> Outcome.NEITHER;
            };
        }
        if (status == 0) {
            return Outcome.NEITHER;
        }
        if (status >= 500 || rpcStatus == INTERNAL || rpcStatus == UNAVAILABLE || rpcStatus == DATA_LOSS) {
            return Outcome.FAILURE;
        }
        return Outcome.SUCCESS;
    }
}
