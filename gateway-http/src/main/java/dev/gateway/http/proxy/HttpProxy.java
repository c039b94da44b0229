package dev.gateway.http.proxy;

import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.tls.TlsContexts;
import dev.gateway.core.transport.Transport;
import dev.gateway.http.HttpSettings;
import dev.gateway.http.ProtocolRules;
import dev.gateway.http.ProtocolSwitch;
import dev.gateway.http.internal.client.UpstreamConnector;
import dev.gateway.http.internal.client.UpstreamPools;
import dev.gateway.http.internal.server.FrontendHandler;
import dev.gateway.http.internal.server.Http2Negotiation;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;

/**
 * What every HTTP listener of one gateway shares: settings, the upstream connector and the per-event-loop
 * connection pools. Pools outlive reloads, so connections to unchanged upstreams stay warm.
 */
public final class HttpProxy implements AutoCloseable {

    private final HttpSettings settings;
    private final ProtocolRules rules;
    private final ProtocolSwitch switches;
    private final ExchangeListener exchanges;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final UpstreamPools pools;
    private final ChannelGroup connections = new DefaultChannelGroup("http-clients", GlobalEventExecutor.INSTANCE);
    private volatile boolean draining;

    public HttpProxy(HttpSettings settings, Transport transport, TlsContexts tls) {
        this(settings, transport, tls, ProtocolRules.HTTP);
    }

    /** @param rules what calls of a protocol over HTTP (gRPC) need beyond plain HTTP */
    public HttpProxy(HttpSettings settings, Transport transport, TlsContexts tls, ProtocolRules rules) {
        this(settings, transport, tls, rules, ProtocolSwitch.NONE);
    }

    /**
     * @param rules what calls of a protocol over HTTP (gRPC) need beyond plain HTTP
     * @param switches the protocols a request may switch its connection to (WebSocket)
     */
    public HttpProxy(HttpSettings settings, Transport transport, TlsContexts tls, ProtocolRules rules,
            ProtocolSwitch switches) {
        this(settings, transport, tls, rules, switches, ExchangeListener.NONE);
    }

    /**
     * @param rules what calls of a protocol over HTTP (gRPC) need beyond plain HTTP
     * @param switches the protocols a request may switch its connection to (WebSocket)
     * @param exchanges told of the end of every exchange: proxied, answered locally, switched
     */
    public HttpProxy(HttpSettings settings, Transport transport, TlsContexts tls, ProtocolRules rules,
            ProtocolSwitch switches, ExchangeListener exchanges) {
        this.exchanges = exchanges;
        this.settings = settings;
        this.rules = rules;
        this.switches = switches;
        this.resolver = transport.newResolverGroup();
        this.pools = new UpstreamPools(new UpstreamConnector(transport, tls, settings, resolver),
                settings.maxIdlePerHost());
    }

    public HttpSettings settings() {
        return settings;
    }

    /** Told of the end of every exchange. */
    public ExchangeListener exchanges() {
        return exchanges;
    }

    public ProtocolRules protocolRules() {
        return rules;
    }

    public ProtocolSwitch protocolSwitch() {
        return switches;
    }

    /** The pools, for the listeners' frontends. */
    public UpstreamPools pools() {
        return pools;
    }

    /** Tracks an accepted client connection, so a stop can drain it. */
    void track(Channel client) {
        connections.add(client);
    }

    /** Client connections open now (WebSockets switched from them included), for the status page. */
    public int openConnections() {
        return connections.size();
    }

    /**
     * Client connections open now by the port they were accepted on, for the metrics: a walk over every connection,
     * meant for a scrape every few seconds, not for the request path.
     */
    public Map<Integer, Integer> openConnectionsByPort() {
        Map<Integer, Integer> byPort = new TreeMap<>();
        for (Channel client : connections) {
            if (client.localAddress() instanceof InetSocketAddress local) {
                byPort.merge(local.getPort(), 1, Integer::sum);
            }
        }
        return byPort;
    }

    /** True once the gateway is stopping: connections close after their current exchange. */
    public boolean isDraining() {
        return draining;
    }

    /**
     * Starts draining: idle client connections close now, busy ones after their current exchange.
     *
     * @return completes when every client connection is closed
     */
    public Future<Void> drain() {
        draining = true;
        switches.drain();
        for (Channel client : connections) {
            FrontendHandler frontend = client.pipeline().get(FrontendHandler.class);
            if (frontend != null) {
                client.eventLoop().execute(frontend::drain);
            } else if (Http2Negotiation.isHttp2(client)) {
                // GOAWAY now; the connection closes once its open streams have finished.
                client.close();
            }
        }
        return connections.newCloseFuture();
    }

    /** Closes idle upstream connections and any client connection still open; call from outside the event loops before shutting them down. */
    @Override
    public void close() {
        for (Channel client : connections) {
            if (Http2Negotiation.isHttp2(client)) {
                client.eventLoop().execute(() -> Http2Negotiation.closeNow(client));
            }
        }
        connections.close().awaitUninterruptibly();
        Future<?> closing = pools.closeAll();
        closing.awaitUninterruptibly();
        resolver.close();
    }
}
