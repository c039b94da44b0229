package dev.gateway.core.net;

import dev.gateway.core.transport.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many client connections the gateway holds open: {@code max_connections} for every listener together, and
 * {@code max_connections_per_listener} for each. A connection past either cap is closed as soon as it is accepted,
 * before it costs an event loop anything, and the refusals are counted into one WARN line per listener every
 * {@value #REPORT_SECONDS} s while they go on, never a line per connection.
 *
 * <p>The global cap always sits below the process's open-files limit, so that accepting never fails for want of a
 * descriptor (a failed accept is a log line per attempt and a stall for everyone) and upstream connections still
 * find one. Each proxied connection may need a second descriptor upstream (a TCP relay always does), so by default
 * the cap is half of what the limit leaves after the descriptors the process holds at start (its jars, logs, event
 * loops), {@value #RESERVED_DESCRIPTORS} more for listeners, DNS and health checks, and the accept backlog: past the
 * cap, connections are still accepted before they are closed, and io_uring may accept a whole backlog in one turn
 * of the event loop. HAProxy derives its {@code maxconn} from {@code ulimit -n} the same way. A configured cap above the limit less that reserve is
 * lowered to it, with a warning.
 */
public final class ConnectionLimits {

    private static final Logger log = LoggerFactory.getLogger(ConnectionLimits.class);

    /** Descriptors kept for everything but client and upstream connections. */
    public static final int RESERVED_DESCRIPTORS = 128;

    /** How often refusals are reported while they go on. */
    public static final int REPORT_SECONDS = 5;

    private final int max;
    private final int perListener;
    private final AtomicInteger open = new AtomicInteger();

    private ConnectionLimits(int max, int perListener) {
        this.max = max;
        this.perListener = perListener;
    }

    /**
     * The caps {@code tyk.conf} asks for, within the open-files limit of this process.
     *
     * @param configured {@code max_connections}, 0 for the default
     * @param perListener {@code max_connections_per_listener}, 0 for none
     */
    public static ConnectionLimits of(int configured, int perListener) {
        return of(configured, perListener, openFilesLimit(), openFiles());
    }

    /**
     * @param configured {@code max_connections}, 0 for the default
     * @param perListener {@code max_connections_per_listener}, 0 for none
     * @param openFiles the process's open-files limit, or -1 when unknown
     * @param openNow descriptors the process holds already (its jars, logs, event loops), kept as well
     */
    static ConnectionLimits of(int configured, int perListener, long openFiles, long openNow) {
        if (openFiles < 0) {
            return new ConnectionLimits(configured > 0 ? configured : Integer.MAX_VALUE, perListener);
        }
        long reserve = Math.max(0, openNow) + RESERVED_DESCRIPTORS + Transport.ACCEPT_BACKLOG;
        long usable = Math.max(1, openFiles - reserve);
        if (configured <= 0) {
            return new ConnectionLimits((int) Math.min(Integer.MAX_VALUE, Math.max(1, usable / 2)), perListener);
        }
        if (configured > usable) {
            log.warn("max_connections {} is more than the open-files limit ({}) allows with the {} descriptors open"
                    + " at start and {} more kept for files, checks and accepts; holding at most {} connections. Raise"
                    + " the limit (ulimit -n, LimitNOFILE=) to hold more", configured, openFiles, openNow,
                    RESERVED_DESCRIPTORS + Transport.ACCEPT_BACKLOG, usable);
            return new ConnectionLimits((int) usable, perListener);
        }
        return new ConnectionLimits(configured, perListener);
    }

    /** The descriptors this process has open, or 0 where the JVM cannot tell. */
    static long openFiles() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getOpenFileDescriptorCount();
        }
        return 0;
    }

    /** The soft limit on open descriptors of this process, or -1 where the JVM cannot tell. */
    static long openFilesLimit() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getMaxFileDescriptorCount();
        }
        return -1;
    }

    /** The global cap in force. */
    public int max() {
        return max;
    }

    /** The per-listener cap, or 0 for none. */
    public int perListener() {
        return perListener;
    }

    /** Client connections open now, every listener together. */
    public int open() {
        return open.get();
    }

    /** A new gate for one listening port's server channel: its handler, ahead of the acceptor. */
    public ChannelHandler gate(String listener) {
        return new Gate(listener);
    }

    /** Counts a listener's accepted connections in and out, and closes those past a cap. */
    private final class Gate extends ChannelInboundHandlerAdapter {
        private final String listener;
        private final AtomicInteger listenerOpen = new AtomicInteger();
        /** Touched on the server channel's event loop only. */
        private long refused;
        private boolean reporting;

        Gate(String listener) {
            this.listener = listener;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel child = (Channel) msg;
            if (admit()) {
                child.closeFuture().addListener(closed -> release());
                ctx.fireChannelRead(child);
                return;
            }
            // Not yet registered with an event loop: closing it now costs a close(2) and nothing else.
            child.unsafe().closeForcibly();
            refused++;
            if (!reporting) {
                reporting = true;
                ctx.executor().schedule(() -> report(ctx), REPORT_SECONDS, TimeUnit.SECONDS);
            }
        }

        private boolean admit() {
            if (open.incrementAndGet() > max) {
                open.decrementAndGet();
                return false;
            }
            if (perListener > 0 && listenerOpen.incrementAndGet() > perListener) {
                listenerOpen.decrementAndGet();
                open.decrementAndGet();
                return false;
            }
            if (perListener <= 0) {
                listenerOpen.incrementAndGet();
            }
            return true;
        }

        private void release() {
            listenerOpen.decrementAndGet();
            open.decrementAndGet();
        }

        private void report(ChannelHandlerContext ctx) {
            if (refused == 0) {
                reporting = false;
                return;
            }
            log.warn("listener {}: closed {} new connections in the last {} s at the connection caps ({} open here,"
                    + " {} in all; max_connections {}, max_connections_per_listener {})", listener, refused,
                    REPORT_SECONDS, listenerOpen.get(), open.get(), max, perListener > 0 ? perListener : "none");
            refused = 0;
            if (ctx.channel().isOpen()) {
                ctx.executor().schedule(() -> report(ctx), REPORT_SECONDS, TimeUnit.SECONDS);
            }
        }
    }
}
