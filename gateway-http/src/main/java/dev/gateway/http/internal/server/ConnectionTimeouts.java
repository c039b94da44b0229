package dev.gateway.http.internal.server;

import dev.gateway.core.config.HttpServerOptions;
import dev.gateway.http.HttpSettings;
import dev.gateway.http.internal.exchange.ProxyExchange;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The timeouts of one client connection, on two timers that move instead of being scheduled per request:
 *
 * <ul>
 *   <li>{@code read_timeout}: the whole request head must arrive within it (idle keep-alive time included);</li>
 *   <li>{@code read_header_timeout}: once part of a head has arrived, the rest must follow within it;</li>
 *   <li>{@code read_body_timeout} and {@code min_body_rate}: while the gateway waits for a request body (not while
 *       it holds the client back because the upstream is slow), the client may be silent no longer than the one,
 *       and must average the other over each {@link HttpServerOptions#BODY_RATE_WINDOW_SECONDS} s;</li>
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

        /** {@code read_timeout} or {@code read_header_timeout} passed while waiting for {@code what}. */
        void readTimedOut(Wait what);

        /** The request body went silent, or came too slowly; {@code why} says which, for the log. */
        void bodyTimedOut(String why);

        /** {@code write_timeout} passed. */
        void writeTimedOut();
    }

    private final Watched connection;
    private final EventExecutor executor;
    private final long readTimeoutNanos;
    private final long writeTimeoutNanos;
    private final long readHeaderTimeoutNanos;
    private final long readBodyTimeoutNanos;
    /** Bytes of body a window must bring, or 0. */
    private final long minWindowBytes;
    /** Whether part of a request head is buffered in the decoder; always false on an HTTP/2 stream. */
    private final BooleanSupplier headInProgress;

    private long headStartNanos = System.nanoTime();
    /** When part of the awaited request head arrived, or -1 while none has. */
    private long headBytesNanos = -1;
    private long lastReadNanos = headStartNanos;
    private long unwritableSinceNanos = -1;
    /** Whether the gateway was waiting for body bytes when last told. */
    private boolean bodyWaiting;
    private long bodyWindowStartNanos;
    private long bodyWindowBytes;
    private ScheduledFuture<?> timer;
    private long timerDeadline;
    /**
     * Moved only to an earlier deadline: an event stream's idle timeout may come before the proxy_default_timeout
     * check its exchange scheduled at the start. A later deadline waits for this one to fire and ask again.
     */
    private ScheduledFuture<?> upstreamTimer;
    private long upstreamTimerDeadline;

    private static final long BODY_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(HttpServerOptions.BODY_RATE_WINDOW_SECONDS);

    ConnectionTimeouts(Watched connection, EventExecutor executor, HttpSettings settings,
            BooleanSupplier headInProgress) {
        this.connection = connection;
        this.executor = executor;
        this.readTimeoutNanos = settings.readTimeoutNanos();
        this.writeTimeoutNanos = settings.writeTimeoutNanos();
        this.readHeaderTimeoutNanos = settings.readHeaderTimeoutNanos();
        this.readBodyTimeoutNanos = settings.readBodyTimeoutNanos();
        this.minWindowBytes = (long) settings.minBodyRate() * HttpServerOptions.BODY_RATE_WINDOW_SECONDS;
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

    /** Bytes of a request body came from the client. */
    void bodyBytes(int bytes) {
        bodyWindowBytes += bytes;
    }

    /**
     * Whether the gateway now waits for body bytes. Each wait starts the body's clocks afresh, so that time the
     * client was held back (the upstream took bytes slower than it sent them) never counts against it.
     */
    void bodyWait(boolean waiting) {
        if (waiting == bodyWaiting) {
            return;
        }
        bodyWaiting = waiting;
        if (waiting) {
            long now = System.nanoTime();
            lastReadNanos = now;
            bodyWindowStartNanos = now;
            bodyWindowBytes = 0;
            rearm();
        }
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
            case BODY -> minWindowBytes == 0 ? lastReadNanos + readBodyTimeoutNanos
                    : Math.min(lastReadNanos + readBodyTimeoutNanos, bodyWindowStartNanos + BODY_WINDOW_NANOS);
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
        Wait waiting = connection.waitingFor();
        if (waiting == Wait.BODY) {
            if (bodyTimedOut(now)) {
                return;
            }
        } else {
            long deadline = nextDeadline();
            if (deadline != Long.MAX_VALUE && now - deadline >= 0) {
                connection.readTimedOut(waiting);
                return;
            }
        }
        rearm();
    }

    /** Ends a body that went silent or came too slowly; at the end of a window that was fast enough, starts another. */
    private boolean bodyTimedOut(long now) {
        if (now - lastReadNanos >= readBodyTimeoutNanos) {
            connection.bodyTimedOut("silent for read_body_timeout");
            return true;
        }
        if (minWindowBytes > 0 && now - bodyWindowStartNanos >= BODY_WINDOW_NANOS) {
            if (bodyWindowBytes < minWindowBytes) {
                connection.bodyTimedOut(bodyWindowBytes + " bytes in " + HttpServerOptions.BODY_RATE_WINDOW_SECONDS
                        + " s, under min_body_rate");
                return true;
            }
            bodyWindowStartNanos = now;
            bodyWindowBytes = 0;
        }
        return false;
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
