package dev.gateway.core.net;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;

/**
 * Log lines about a client's bad input: garbage instead of a ClientHello, a malformed PROXY header, an HTTP/2
 * protocol error. Such input is routine, and anyone who can open a socket can send it as fast as the gateway
 * reads, so each event is one line at INFO, never a stack trace, and lines are rate-limited: of one kind (one
 * message format) on one listening port, at most {@link #LINES_PER_WINDOW} per {@link #WINDOW_SECONDS}; the
 * rest are counted, and the next line that is written says how many were left out.
 *
 * <p>Keyed by port as well as by kind, so that a flood on one port does not hide the first lines about another.
 * The table grows with the ports and the call sites, both few.
 */
public final class ClientErrorLog {

    /** Lines of one kind written per window: enough to see what is happening, too few to fill a disk. */
    public static final int LINES_PER_WINDOW = 10;

    /** The window of {@link #LINES_PER_WINDOW}: under a steady flood, about one line a second per kind and port. */
    public static final int WINDOW_SECONDS = 10;

    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(WINDOW_SECONDS);

    private static final String LEFT_OUT = " ({} more like this were not logged)";

    private static final Map<Kind, Window> WINDOWS = new ConcurrentHashMap<>();

    private ClientErrorLog() {
    }

    /**
     * Logs a client that connected to a TLS port and sent no ClientHello within the handshake timeout, if
     * {@code event} says so; the SNI stage closes such a connection without a word otherwise.
     *
     * @return whether it did
     */
    public static boolean handshakeTimedOut(Logger log, Channel channel, Object event) {
        if (event instanceof SniCompletionEvent sni && sni.cause() instanceof SslHandshakeTimeoutException timeout) {
            info(log, channel, "client={} TLS handshake failed on port {}: no ClientHello ({})",
                    ClientAddress.of(channel), ClientAddress.localPort(channel), timeout.getMessage());
            return true;
        }
        return false;
    }

    /**
     * Logs at INFO, unless this kind of line has had its share on the channel's port for now.
     *
     * @param channel the client's connection, or an HTTP/2 stream of it; its listening port scopes the limit
     * @param format an SLF4J format; it names the kind, so pass a constant
     */
    public static void info(Logger log, Channel channel, String format, Object... args) {
        if (log.isInfoEnabled()) {
            limited(log::info, channel, format, args);
        }
    }

    /**
     * As {@link #info}, for a line about a request that a filter refused, where no channel is at hand: the limit is
     * scoped by {@code port} (an API's {@code listen_port}, 0 for the gateway's own).
     */
    public static void info(Logger log, int port, String format, Object... args) {
        if (log.isInfoEnabled()) {
            limited(log::info, port, format, args);
        }
    }

    /** As {@link #info(Logger, int, String, Object...)}, at WARN: a store that does not answer, say. */
    public static void warn(Logger log, int port, String format, Object... args) {
        if (log.isWarnEnabled()) {
            limited(log::warn, port, format, args);
        }
    }

    /**
     * As {@link #info}, at WARN, for what should not happen whatever a client sends: the stack trace, as the last
     * argument, helps find why, and the same limit keeps a client that can set it off from filling a disk.
     */
    public static void warn(Logger log, Channel channel, String format, Object... args) {
        if (log.isWarnEnabled()) {
            limited(log::warn, channel, format, args);
        }
    }

    private static void limited(BiConsumer<String, Object[]> sink, Channel channel, String format, Object[] args) {
        limited(sink, ClientAddress.localPort(channel), format, args);
    }

    private static void limited(BiConsumer<String, Object[]> sink, int port, String format, Object[] args) {
        long leftOut = admit(format, port, System.nanoTime());
        if (leftOut == 0) {
            sink.accept(format, args);
        } else if (leftOut > 0) {
            sink.accept(format + LEFT_OUT, withCount(args, leftOut));
        }
    }

    /** The arguments with the count of left-out lines for {@link #LEFT_OUT}, before a trailing throwable. */
    static Object[] withCount(Object[] args, long leftOut) {
        boolean thrown = args.length > 0 && args[args.length - 1] instanceof Throwable;
        int at = thrown ? args.length - 1 : args.length;
        Object[] result = new Object[args.length + 1];
        System.arraycopy(args, 0, result, 0, at);
        result[at] = leftOut;
        if (thrown) {
            result[at + 1] = args[args.length - 1];
        }
        return result;
    }

    /**
     * Counts one line of {@code format} on {@code port} at {@code now}: the lines left out before it, or -1 when
     * it is left out too.
     */
    static long admit(String format, int port, long now) {
        return WINDOWS.computeIfAbsent(new Kind(format, port), kind -> new Window()).admit(now);
    }

    private record Kind(String format, int port) {
    }

    /** The lines of one kind in the current window; errors are rare enough that a lock costs nothing. */
    private static final class Window {
        private long start;
        private int written;
        private long leftOut;

        /** The count of lines left out before this one, or -1 when this one is left out too. */
        synchronized long admit(long now) {
            if (written == 0 || now - start >= WINDOW_NANOS) {
                start = now;
                written = 0;
            }
            if (written >= LINES_PER_WINDOW) {
                leftOut++;
                return -1;
            }
            written++;
            long count = leftOut;
            leftOut = 0;
            return count;
        }
    }
}
