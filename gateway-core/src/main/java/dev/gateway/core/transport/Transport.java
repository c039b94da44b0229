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
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The socket transport in use. Native epoll where Netty ships it (Linux on x86_64 and aarch64), NIO elsewhere.
 * Upstream channels use {@link #channelClass()} so they can share the downstream channel's event loop.
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

    private final String name;
    private final Supplier<IoHandlerFactory> ioHandlerFactory;
    private final Class<? extends ServerChannel> serverChannelClass;
    private final Class<? extends Channel> channelClass;
    private final Class<? extends DatagramChannel> datagramChannelClass;

    private Transport(String name, Supplier<IoHandlerFactory> ioHandlerFactory,
            Class<? extends ServerChannel> serverChannelClass, Class<? extends Channel> channelClass,
            Class<? extends DatagramChannel> datagramChannelClass) {
        this.name = name;
        this.ioHandlerFactory = ioHandlerFactory;
        this.serverChannelClass = serverChannelClass;
        this.channelClass = channelClass;
        this.datagramChannelClass = datagramChannelClass;
    }

    /** Native epoll when it loads on a supported architecture, otherwise NIO. */
    public static Transport select() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        boolean supportedArch = arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64");
        if (supportedArch && Epoll.isAvailable()) {
            return epoll();
        }
        return nio();
    }

    public static Transport epoll() {
        return new Transport("epoll", EpollIoHandler::newFactory, EpollServerSocketChannel.class,
                EpollSocketChannel.class, EpollDatagramChannel.class);
    }

    public static Transport nio() {
        return new Transport("nio", NioIoHandler::newFactory, NioServerSocketChannel.class, NioSocketChannel.class,
                NioDatagramChannel.class);
    }

    /** {@code epoll} or {@code nio}, for the start-up log line. */
    public String name() {
        return name;
    }

    /** Why epoll is not in use, or empty when it is. */
    public String fallbackReason() {
        if (name.equals("epoll")) {
            return "";
        }
        Throwable cause = Epoll.unavailabilityCause();
        return cause == null ? "unsupported platform" : cause.toString();
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
