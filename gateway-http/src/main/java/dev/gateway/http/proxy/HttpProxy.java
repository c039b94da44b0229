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
    /** Connections close at their next request boundary: set by {@link #goAway()} and {@link #drain()}. */
    private volatile boolean closing;
    /** The drain has started: set by {@link #drain()}. */
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

    /**
     * True once the gateway is stopping ({@link #goAway()} or {@link #drain()}): every connection closes at its next
     * request boundary.
     */
    public boolean isClosing() {
        return closing;
    }

    /** True once the drain has started: the listeners are closed, and a connection accepted just before is closed. */
    public boolean isDraining() {
        return draining;
    }

    /**
     * The first step of a stop, while the listeners still accept (a load balancer has yet to see the gateway go): asks
     * every client to take its next requests elsewhere, without failing any request. HTTP/1.1 responses say
     * {@code Connection: close} from now on, on connections open now and on those accepted later. HTTP/2 connections
     * get a GOAWAY whose last stream id is 2^31-1: the client opens no new stream on them, and the streams it opened
     * before that GOAWAY reached it are still served (RFC 9113, 6.8, the graceful shutdown's first GOAWAY); a
     * connection that starts HTTP/2 later gets one as it starts. {@link #drain()} sends the second GOAWAY.
     * WebSockets and other open streams are left alone until the drain.
     */
    public void goAway() {
        closing = true;
        for (Channel client : connections) {
            if (Http2Negotiation.isHttp2(client)) {
                client.eventLoop().execute(() -> Http2Negotiation.goAwayKeepingStreams(client));
            }
        }
    }

    /**
     * Starts draining: idle client connections close now, busy ones after their current exchange. HTTP/2
     * connections get a GOAWAY naming the last stream they opened (refusing any opened after it) and close once
     * their open streams have finished.
     *
     * @return completes when every client connection is closed
     */
    public Future<Void> drain() {
        closing = true;
        draining = true;
        switches.drain();
        for (Channel client : connections) {
            FrontendHandler frontend = client.pipeline().get(FrontendHandler.class);
            if (frontend != null) {
                client.eventLoop().execute(frontend::drain);
            } else if (Http2Negotiation.isHttp2(client)) {
                client.eventLoop().execute(() -> Http2Negotiation.goAwayAndClose(client));
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
