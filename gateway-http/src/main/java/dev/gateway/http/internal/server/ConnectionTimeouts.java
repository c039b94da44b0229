package dev.gateway.http.internal.server;

import dev.gateway.http.internal.exchange.ProxyExchange;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The timeouts of one client connection, on two timers that move instead of being scheduled per request:
 *
 * <ul>
 *   <li>{@code read_timeout}: the whole request head must arrive within it (idle keep-alive time included), and
 *       a body may not stall for longer;</li>
 *   <li>{@code read_header_timeout}: once part of a head has arrived, the rest must follow within it;</li>
 *   <li>{@code write_timeout}: how long the client may refuse bytes we have for it;</li>
 *   <li>{@code proxy_default_timeout}: asked of the current exchange, which knows what the upstream owes.</li>
 * </ul>
 *
 * Runs on the connection's event loop only.
 */
final class ConnectionTimeouts {

    /** What the connection waits for from its client. */
    enum Wait { NOTHING, HEAD, BODY }

    /** The connection the timeouts watch. */
    interface Watched {
        Wait waitingFor();

        /** The exchange in progress, or {@code null}. */
        ProxyExchange exchange();

        boolean isClosed();

        /** {@code read_timeout} passed while waiting for {@code what}. */
        void readTimedOut(Wait what);

        /** {@code write_timeout} passed. */
        void writeTimedOut();
    }

    private final Watched connection;
    private final EventExecutor executor;
    private final long readTimeoutNanos;
    private final long writeTimeoutNanos;
    private final long readHeaderTimeoutNanos;
    /** Whether part of a request head is buffered in the decoder; always false on an HTTP/2 stream. */
    private final BooleanSupplier headInProgress;

    private long headStartNanos = System.nanoTime();
    /** When part of the awaited request head arrived, or -1 while none has. */
    private long headBytesNanos = -1;
    private long lastReadNanos = headStartNanos;
    private long unwritableSinceNanos = -1;
    private ScheduledFuture<?> timer;
    private long timerDeadline;
    /**
     * Moved only to an earlier deadline: an event stream's idle timeout may come before the proxy_default_timeout
     * check its exchange scheduled at the start. A later deadline waits for this one to fire and ask again.
     */
    private ScheduledFuture<?> upstreamTimer;
    private long upstreamTimerDeadline;

    ConnectionTimeouts(Watched connection, EventExecutor executor, long readTimeoutNanos, long writeTimeoutNanos,
            long readHeaderTimeoutNanos, BooleanSupplier headInProgress) {
        this.connection = connection;
        this.executor = executor;
        this.readTimeoutNanos = readTimeoutNanos;
        this.writeTimeoutNanos = writeTimeoutNanos;
        this.readHeaderTimeoutNanos = readHeaderTimeoutNanos;
        this.headInProgress = headInProgress;
    }

    /**
     * A new request head may start arriving now. Part of it may be here already (pipelined behind the request just
     * answered): then {@code read_header_timeout} runs from now.
     */
    void headStarts() {
        headStartNanos = System.nanoTime();
        headBytesNanos = headInProgress.getAsBoolean() ? headStartNanos : -1;
    }

    /** Part of the awaited request head arrived: from its first read on, {@code read_header_timeout} runs. */
    void headBytesArrived() {
        if (headBytesNanos < 0) {
            headBytesNanos = System.nanoTime();
            rearm();
        }
    }

    /** When part of the awaited head arrived, or -1. */
    long headBytesNanos() {
        return headBytesNanos;
    }

    /** Bytes came from the client. */
    void read() {
        lastReadNanos = System.nanoTime();
    }

    void writabilityChanged(boolean writable) {
        if (writable) {
            unwritableSinceNanos = -1;
        } else {
            unwritableSinceNanos = System.nanoTime();
            rearm();
        }
    }

    /** Makes sure the client timer fires no later than the earliest deadline that now applies. */
    void rearm() {
        long deadline = nextDeadline();
        if (deadline == Long.MAX_VALUE || connection.isClosed()) {
            return;
        }
        if (timer != null) {
            if (timerDeadline - deadline <= 0) {
                return;
            }
            timer.cancel(false);
        }
        timerDeadline = deadline;
        timer = executor.schedule(this::onTimer, deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    /** Makes sure the upstream timeout is checked at {@code deadline} or earlier. */
    void watchUpstream(long deadline) {
        if (upstreamTimer != null) {
            if (upstreamTimerDeadline - deadline <= 0) {
                return;
            }
            upstreamTimer.cancel(false);
        }
        upstreamTimerDeadline = deadline;
        upstreamTimer = executor.schedule(this::onUpstreamTimer, deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (upstreamTimer != null) {
            upstreamTimer.cancel(false);
            upstreamTimer = null;
        }
    }

    /** The next moment a client timeout could fire, or {@code Long.MAX_VALUE} when none is running. */
    private long nextDeadline() {
        long deadline = switch (connection.waitingFor()) {
            case HEAD -> headBytesNanos < 0 ? headStartNanos + readTimeoutNanos
                    : Math.min(headStartNanos + readTimeoutNanos, headBytesNanos + readHeaderTimeoutNanos);
            case BODY -> lastReadNanos + readTimeoutNanos;
            case NOTHING -> Long.MAX_VALUE;
        };
        if (unwritableSinceNanos >= 0) {
            deadline = Math.min(deadline, unwritableSinceNanos + writeTimeoutNanos);
        }
        return deadline;
    }

    private void onTimer() {
        timer = null;
        if (connection.isClosed()) {
            return;
        }
        long now = System.nanoTime();
        if (unwritableSinceNanos >= 0 && now - unwritableSinceNanos >= writeTimeoutNanos) {
            connection.writeTimedOut();
            return;
        }
        long deadline = nextDeadline();
        if (deadline != Long.MAX_VALUE && now - deadline >= 0) {
            connection.readTimedOut(connection.waitingFor());
            return;
        }
        rearm();
    }

    private void onUpstreamTimer() {
        upstreamTimer = null;
        ProxyExchange exchange = connection.exchange();
        if (exchange == null || connection.isClosed()) {
            return;
        }
        long now = System.nanoTime();
        long deadline = exchange.upstreamDeadline(now);
        if (deadline - now <= 0) {
            exchange.fail(exchange.timeoutFailure(), null);
        } else {
            watchUpstream(deadline);
        }
    }
}
