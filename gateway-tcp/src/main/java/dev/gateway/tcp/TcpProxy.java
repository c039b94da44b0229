package dev.gateway.tcp;

import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.net.ProxyProtocol;
import dev.gateway.core.relay.Relay;
import dev.gateway.core.tls.TlsContexts;
import dev.gateway.core.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.ssl.SniHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What every TCP listener of one gateway shares: the upstream connector and the open relays. Connections are
 * relayed on the event loop that accepted them, upstream side included.
 */
public final class TcpProxy implements AutoCloseable {

    private final Bootstrap upstreams;
    private final ExchangeListener exchanges;
    private final TlsContexts tls;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final long idleTimeoutNanos;
    private final ChannelGroup clients = new DefaultChannelGroup("tcp-clients", GlobalEventExecutor.INSTANCE);

    /**
     * How long a stop waits for each side of a relay to close after the gateway's FIN: a peer that reads closes
     * within a round trip of it; one that neither reads nor closes is closed then, and may get a reset.
     */
    public static final long STOP_LINGER_MILLIS = 2000;

    /**
     * @param connectTimeoutSeconds how long an upstream connect may take ({@code proxy_default_timeout})
     * @param idleTimeoutSeconds how long a relay may carry nothing either way ({@code tcp_idle_timeout})
     */
    public TcpProxy(Transport transport, TlsContexts tls, int connectTimeoutSeconds, int idleTimeoutSeconds) {
        this(transport, tls, connectTimeoutSeconds, idleTimeoutSeconds, ExchangeListener.NONE);
    }

    /** @param exchanges told when each relay starts and when it ends */
    public TcpProxy(Transport transport, TlsContexts tls, int connectTimeoutSeconds, int idleTimeoutSeconds,
            ExchangeListener exchanges) {
        this.exchanges = exchanges;
        this.tls = tls;
        this.resolver = transport.newResolverGroup();
        this.idleTimeoutNanos = TimeUnit.SECONDS.toNanos(idleTimeoutSeconds);
        this.upstreams = transport.upstreams(resolver, TimeUnit.SECONDS.toNanos(connectTimeoutSeconds));
    }

    /**
     * The initializer of a TCP listener's connections.
     *
     * @param routes the port's APIs (and certificates, for a {@code tls} port), read per connection so a reload
     *     applies to new connections; {@code null} when the port no longer serves any
     */
    public ChannelInitializer<Channel> listener(Supplier<TcpRoutes> routes) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel client) {
                clients.add(client);
                TcpRoutes current = routes.get();
                if (current != null && current.terminatesTls()) {
                    client.pipeline().addLast(new SniHandler(current.certificates()));
                } else if (current != null && current.peeksSni()) {
                    client.pipeline().addLast(new SniPeek());
                }
                client.pipeline().addLast(new TcpFrontend(TcpProxy.this, current));
                if (current != null && current.proxyProtocol()) {
                    ProxyProtocol.expect(client);
                }
            }
        };
    }

    Bootstrap upstreams() {
        return upstreams;
    }

    TlsContexts tls() {
        return tls;
    }

    ExchangeListener exchanges() {
        return exchanges;
    }

    long idleTimeoutNanos() {
        return idleTimeoutNanos;
    }

    /**
     * Stops every relay with a FIN to each side ({@link Relay#stop}): a TCP stream has no boundary at which to drain,
     * and a plain close would reset a peer that is still sending. Waits at most {@link #STOP_LINGER_MILLIS} for the
     * peers to close their sides, then closes whatever is left, connections not yet relaying included.
     */
    @Override
    public void close() {
        List<Future<Void>> stopping = new ArrayList<>();
        for (Channel client : clients) {
            Relay relay = Relay.of(client);
            if (relay != null) {
                stopping.add(relay.stop(TimeUnit.MILLISECONDS.toNanos(STOP_LINGER_MILLIS)));
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_LINGER_MILLIS + 500);
        for (Future<Void> stopped : stopping) {
            stopped.awaitUninterruptibly(Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        clients.close().awaitUninterruptibly();
        resolver.close();
    }
}
