package dev.gateway.core.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The socket transport in use: io_uring where the kernel allows it (Linux on x86_64), native epoll where Netty
 * ships it (Linux on x86_64 and aarch64), NIO elsewhere. Upstream channels use {@link #channelClass()} so they
 * can share the downstream channel's event loop.
 *
 * <p><b>Why io_uring first.</b> A proxy's work per request is mostly system calls: a read and a write on each
 * side. With epoll each is its own trip into the kernel; io_uring submits all that an event-loop turn has queued
 * in one, and that is most of the gateway's advantage over nginx and HAProxy in docs/benchmarks.md. What epoll
 * alone can do, zero-copy {@code splice} between two TCP sockets, io_uring relays by copying.
 */
public final class Transport {

    /**
     * Above this many bytes queued for a socket, its channel reports itself unwritable and the other side of the
     * proxy stops reading; a slow reader holds back its sender instead of filling the gateway's memory.
     */
    public static final int WRITE_HIGH_WATER_MARK = 64 * 1024;

    /** Below this many queued bytes a channel is writable again, and the other side reads again. */
    public static final int WRITE_LOW_WATER_MARK = 32 * 1024;

    /** Connections the kernel may hold accepted for a listener before the gateway takes them. */
    public static final int ACCEPT_BACKLOG = 1024;

    private static final WriteBufferWaterMark WATER_MARKS =
            new WriteBufferWaterMark(WRITE_LOW_WATER_MARK, WRITE_HIGH_WATER_MARK);

    private static final String AUTO = "auto";
    private static final String IO_URING = "io_uring";
    private static final String EPOLL = "epoll";
    private static final String NIO = "nio";

    private final String name;
    private final String skipped;
    private final Supplier<IoHandlerFactory> ioHandlerFactory;
    private final Class<? extends ServerChannel> serverChannelClass;
    private final Class<? extends Channel> channelClass;
    private final Class<? extends DatagramChannel> datagramChannelClass;

    private Transport(String name, String skipped, Supplier<IoHandlerFactory> ioHandlerFactory,
            Class<? extends ServerChannel> serverChannelClass, Class<? extends Channel> channelClass,
            Class<? extends DatagramChannel> datagramChannelClass) {
        this.name = name;
        this.skipped = skipped;
        this.ioHandlerFactory = ioHandlerFactory;
        this.serverChannelClass = serverChannelClass;
        this.channelClass = channelClass;
        this.datagramChannelClass = datagramChannelClass;
    }

    /** The best transport that loads here: io_uring, then native epoll, then NIO ({@code transport: auto}). */
    public static Transport select() {
        return select(AUTO);
    }

    /**
     * The transport {@code tyk.conf} names: {@value #AUTO} for the best that loads here, or {@code io_uring},
     * {@code epoll} or {@code nio}.
     *
     * @throws IllegalStateException when the one named cannot load here, with the reason
     * @throws IllegalArgumentException for a name that is none of these
     */
    public static Transport select(String wanted) {
        return switch (wanted) {
            case AUTO -> {
                if (ioUringLoads()) {
                    yield ioUring("");
                }
                String skipped = "io_uring unavailable (" + ioUringProblem() + ")";
                yield epollLoads() ? epoll(skipped)
                        : nio(skipped + "; native epoll unavailable (" + epollProblem() + ")");
            }
            case IO_URING -> {
                if (!ioUringLoads()) {
                    throw new IllegalStateException("transport io_uring: unavailable here (" + ioUringProblem() + ")");
                }
                yield ioUring("");
            }
            case EPOLL -> {
                if (!epollLoads()) {
                    throw new IllegalStateException("transport epoll: unavailable here (" + epollProblem() + ")");
                }
                yield epoll("");
            }
            case NIO -> nio("");
            default -> throw new IllegalArgumentException("unknown transport '" + wanted + "'");
        };
    }

    /** Native epoll, which must load here. */
    public static Transport epoll() {
        return epoll("");
    }

    /** The JDK's NIO, which loads everywhere. */
    public static Transport nio() {
        return nio("");
    }

    private static Transport ioUring(String skipped) {
        return new Transport(IO_URING, skipped, IoUringIoHandler::newFactory, IoUringServerSocketChannel.class,
                IoUringSocketChannel.class, IoUringDatagramChannel.class);
    }

    private static Transport epoll(String skipped) {
        return new Transport(EPOLL, skipped, EpollIoHandler::newFactory, EpollServerSocketChannel.class,
                EpollSocketChannel.class, EpollDatagramChannel.class);
    }

    private static Transport nio(String skipped) {
        return new Transport(NIO, skipped, NioIoHandler::newFactory, NioServerSocketChannel.class,
                NioSocketChannel.class, NioDatagramChannel.class);
    }

    /** Netty ships both native transports for Linux on x86_64 (io_uring) and on x86_64 and aarch64 (epoll). */
    private static boolean supportedArch() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64");
    }

    /**
     * io_uring loads when the kernel has it and lets this process use it: a container's seccomp profile often
     * forbids it, and {@code /proc/sys/kernel/io_uring_disabled} may too; then epoll serves.
     */
    private static boolean ioUringLoads() {
        return supportedArch() && IoUring.isAvailable();
    }

    private static String ioUringProblem() {
        Throwable cause = supportedArch() ? IoUring.unavailabilityCause() : null;
        return cause == null ? "unsupported platform" : String.valueOf(cause.getMessage());
    }

    private static boolean epollLoads() {
        return supportedArch() && Epoll.isAvailable();
    }

    private static String epollProblem() {
        Throwable cause = supportedArch() ? Epoll.unavailabilityCause() : null;
        return cause == null ? "unsupported platform" : String.valueOf(cause.getMessage());
    }

    /** {@code io_uring}, {@code epoll} or {@code nio}, for the start-up log line. */
    public String name() {
        return name;
    }

    /** Why {@link #select()} passed over the better transports, or empty when it did not. */
    public String fallbackReason() {
        return skipped;
    }

    public EventLoopGroup newEventLoopGroup(int threads, String threadPrefix) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadPrefix, true),
                ioHandlerFactory.get());
    }

    public Class<? extends ServerChannel> serverChannelClass() {
        return serverChannelClass;
    }

    public Class<? extends Channel> channelClass() {
        return channelClass;
    }

    /**
     * An asynchronous DNS resolver for upstream names, on the event loop that connects (the JDK's resolver would
     * block it). It reads {@code /etc/hosts} and the system's name servers; IP literals skip it.
     */
    public AddressResolverGroup<InetSocketAddress> newResolverGroup() {
        return new DnsAddressResolverGroup(new DnsNameResolverBuilder().datagramChannelType(datagramChannelClass));
    }

    /**
     * A listener's bootstrap, every protocol's: this transport's server channel, and on each accepted connection
     * what a proxy needs. Auto-read is off, so the protocol reads when it can pass bytes on; no Nagle delay;
     * keep-alive probes; the water marks. The caller adds the child handler.
     */
    public ServerBootstrap listener(EventLoopGroup acceptors, EventLoopGroup workers) {
        return new ServerBootstrap()
                .group(acceptors, workers)
                .channel(serverChannelClass)
                .option(ChannelOption.SO_BACKLOG, ACCEPT_BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARKS);
    }

    /**
     * The template of upstream connections, every protocol's, with the same options as a listener's connections
     * and a connect timeout. Clone it onto the downstream connection's event loop to connect.
     */
    public Bootstrap upstreams(AddressResolverGroup<InetSocketAddress> resolver, long connectTimeoutNanos) {
        long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(connectTimeoutNanos));
        return new Bootstrap()
                .channel(channelClass)
                .resolver(resolver)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, millis))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARKS);
    }
}
