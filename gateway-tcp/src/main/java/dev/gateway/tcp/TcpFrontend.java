package dev.gateway.tcp;

import dev.gateway.core.exchange.ExchangeRecord;
import dev.gateway.core.lb.Target;
import dev.gateway.core.net.ClientAddress;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.core.net.ProxyProtocol;
import dev.gateway.core.relay.Relay;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP service's client connection until its relay starts. On a plain {@code tcp} port the API is known at
 * once; on a {@code tls} port the client's SNI picks it, and the relay starts once the handshake is done. Then,
 * if the API's IP lists admit the client, the next upstream of the API is connected on the same event loop (over
 * TLS for {@code tls://} targets) and both connections go to a {@link Relay}. Whatever the client sends meanwhile
 * is held for the relay.
 */
final class TcpFrontend extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(TcpFrontend.class);

    private final TcpProxy proxy;
    private final TcpRoutes routes;
    private TcpService service;

    TcpFrontend(TcpProxy proxy, TcpRoutes routes) {
        this.proxy = proxy;
        this.routes = routes;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel client = ctx.channel();
        Relay.hold(client);
        if (routes == null) {
            log.info("client={} port {} serves no API any more; closing", ClientAddress.of(client), localPort(client));
            client.close();
        } else if (routes.terminatesTls() || routes.peeksSni() || routes.proxyProtocol()) {
            // The PROXY header and the handshake read on their own once started; what they learn (the client's
            // address, its SNI) arrives as events below.
            ctx.read();
        } else {
            connect(ctx, routes.match(null));
        }
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == ProxyProtocol.HEADER_READ) {
            if (!routes.terminatesTls() && !routes.peeksSni()) {
                connect(ctx, routes.match(null));
            }
            return;
        }
        if (event instanceof SniPeek.Peeked peeked) {
            TcpService chosen = routes.match(peeked.serverName());
            if (chosen == null) {
                log.info("client={} no API for SNI '{}' on port {}; closing", ClientAddress.of(ctx.channel()),
                        peeked.serverName() == null ? "" : peeked.serverName(), localPort(ctx.channel()));
                ctx.close();
            } else {
                connect(ctx, chosen);
            }
            return;
        }
        if (ClientErrorLog.handshakeTimedOut(log, ctx.channel(), event)) {
            ctx.close();
            return;
        }
        if (event instanceof SniCompletionEvent sni) {
            service = routes.match(sni.hostname());
            if (service == null) {
                log.info("client={} no API for SNI '{}' on port {}; closing", ClientAddress.of(ctx.channel()),
                        sni.hostname() == null ? "" : sni.hostname(), localPort(ctx.channel()));
                ctx.close();
                return;
            }
        } else if (event instanceof SslHandshakeCompletionEvent handshake) {
            if (handshake.isSuccess() && service != null) {
                connect(ctx, service);
            } else if (!handshake.isSuccess()) {
                ClientErrorLog.info(log, ctx.channel(), "client={} TLS handshake failed on port {}: {}",
                        ClientAddress.of(ctx.channel()), localPort(ctx.channel()), handshake.cause().getMessage());
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            // A handshake that went wrong: the completion event above names it.
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    private void connect(ChannelHandlerContext ctx, TcpService chosen) {
        Channel client = ctx.channel();
        if (chosen == null) {
            log.info("client={} port {} has no API for this connection; closing", ClientAddress.of(client),
                    localPort(client));
            client.close();
            return;
        }
        if (refusedByIpList(chosen, client)) {
            client.close();
            return;
        }
        Target target = chosen.targets().next();
        if (target == null) {
            log.warn("api={} client={} every host is down; closing", chosen.apiId(), ClientAddress.of(client));
            client.close();
            return;
        }
        long started = System.nanoTime();
        ChannelFuture connecting = proxy.upstreams().clone(client.eventLoop())
                .handler(upstreamPipeline(chosen, target, client))
                .connect(target.host(), target.port());
        connecting.addListener(f -> {
            Channel upstream = connecting.channel();
            if (!f.isSuccess()) {
                log.warn("api={} client={} upstream={} connect failed: {}; closing", chosen.apiId(),
                        ClientAddress.of(client), target, f.cause().getMessage());
                client.close();
            } else if (!client.isActive()) {
                upstream.close();
            } else if (target.tls()) {
                // The relay starts once the upstream's TLS is up and its key matches the pins, if any.
                upstream.pipeline().get(SslHandler.class).handshakeFuture()
                        .addListener(h -> handshaken(h, ctx, chosen, target, upstream, started));
            } else {
                relay(ctx, chosen, target, client, upstream, started);
            }
        });
    }

    /**
     * Whether the API's {@code allowed_ips} or {@code blacklisted_ips} refuses the client, logging it if so. Every
     * way to an API passes here, so the check comes after the PROXY header (its client counts, not the load
     * balancer in front) and, on a {@code tls} port, after the handshake: refusing at the SNI event would save
     * nothing, since the SNI stage hands the ClientHello to the TLS handler, which answers it, before that event,
     * and the client then sees a plain close rather than a broken handshake. Anyone can connect as often as they
     * like, so the line is rate-limited like other client errors.
     */
    private static boolean refusedByIpList(TcpService chosen, Channel client) {
        InetSocketAddress address = ClientAddress.of(client);
        String list = chosen.ipListRefusing(address);
        if (list == null) {
            return false;
        }
        ClientErrorLog.info(log, client, "api={} client={} conn={} refused: access from this IP has been disallowed"
                + " ({})", chosen.apiId(), address, client.id().asShortText(), list);
        return true;
    }

    /** The upstream connection's handlers: the PROXY header if the API sends one, TLS to a TLS target. */
    private ChannelInitializer<Channel> upstreamPipeline(TcpService chosen, Target target, Channel client) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel upstream) {
                if (!chosen.api().proxy().sendProxyProtocol().isEmpty()) {
                    // First in the pipeline, so the header goes out before the TLS handshake.
                    upstream.pipeline().addLast(HAProxyMessageEncoder.INSTANCE, new ProxyHeaderFirst(chosen, client));
                }
                if (target.tls()) {
                    SslContext context = chosen.clientCertificates().get(target);
                    if (context == null) {
                        context = proxy.tls().client(chosen.insecureSkipVerify());
                    }
                    upstream.pipeline().addLast(context.newHandler(upstream.alloc(), target.host(), target.port()));
                }
                // Held like the client: a server that speaks first loses nothing, and both sides count their
                // bytes, which splicing needs.
                Relay.hold(upstream);
            }
        };
    }

    /** The upstream's TLS handshake ended: the relay starts if it succeeded and the key matches the pins. */
    private void handshaken(Future<?> handshake, ChannelHandlerContext ctx, TcpService chosen, Target target,
            Channel upstream, long started) {
        Channel client = ctx.channel();
        if (!handshake.isSuccess()) {
            log.warn("api={} client={} upstream={} TLS handshake failed: {}; closing", chosen.apiId(),
                    ClientAddress.of(client), target, handshake.cause().getMessage());
            closeBoth(client, upstream);
        } else if (!pinsMatch(chosen, target, upstream)) {
            log.warn("api={} client={} upstream={} presented a public key that matches no pinned key; closing",
                    chosen.apiId(), ClientAddress.of(client), target);
            closeBoth(client, upstream);
        } else if (!client.isActive()) {
            upstream.close();
        } else {
            relay(ctx, chosen, target, client, upstream, started);
        }
    }

    private void relay(ChannelHandlerContext ctx, TcpService chosen, Target target, Channel client, Channel upstream,
            long started) {
        ctx.pipeline().remove(this);
        // Before the join: a relay whose side closed already ends within it, and its end must follow its open.
        proxy.exchanges().onOpen(ExchangeRecord.Kind.TCP, chosen.apiId());
        Relay.join(client, upstream, proxy.idleTimeoutNanos(), report -> {
            long duration = System.nanoTime() - started;
            log.info("api={} client={} conn={} upstream={} closed: {} after {} ms, {} bytes in, {} bytes out{}{}",
                    chosen.apiId(), ClientAddress.of(client), client.id().asShortText(), target, report.reason(),
                    TimeUnit.NANOSECONDS.toMillis(duration), report.clientToUpstreamBytes(),
                    report.upstreamToClientBytes(), report.spliced() ? ", spliced" : "",
                    report.cause() == null ? "" : " (" + report.cause() + ")");
            proxy.exchanges().onEnd(new ExchangeRecord(ExchangeRecord.Kind.TCP, client.id().asShortText(),
                    ClientAddress.of(client), chosen.apiId(), "", "", "", 0, -1, target.raw(),
                    report.clientToUpstreamBytes(), report.upstreamToClientBytes(), duration, report.reason().name()));
        });
    }

    private static boolean pinsMatch(TcpService service, Target target, Channel upstream) {
        Set<String> pins = PublicKeyPins.forUpstream(service.api().pinnedPublicKeys(), target.host(), target.port());
        if (pins.isEmpty()) {
            return true;
        }
        try {
            Certificate leaf = upstream.pipeline().get(SslHandler.class).engine().getSession()
                    .getPeerCertificates()[0];
            return pins.contains(PublicKeyPins.pinOf(leaf));
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }

    private static void closeBoth(Channel client, Channel upstream) {
        upstream.close();
        client.close();
    }

    /**
     * {@code proxy.send_proxy_protocol}: the upstream learns the real client from a PROXY header, the first bytes
     * on the connection, in the clear before any TLS handshake (as HAProxy's {@code send-proxy} does). It writes
     * through the encoder just before it, then both step out of the pipeline.
     */
    private static final class ProxyHeaderFirst extends ChannelInboundHandlerAdapter {
        private final TcpService service;
        private final Channel client;

        ProxyHeaderFirst(TcpService service, Channel client) {
            this.service = service;
            this.client = client;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(proxyHeader(service.api().proxy().sendProxyProtocol(), client), ctx.voidPromise());
            // Encoded already (this is the event loop): the relay may splice a pipeline with nothing else in it.
            ctx.pipeline().remove(HAProxyMessageEncoder.INSTANCE);
            ctx.pipeline().remove(this);
            ctx.fireChannelActive();
        }
    }

    private static HAProxyMessage proxyHeader(String version, Channel client) {
        InetSocketAddress source = ClientAddress.of(client);
        InetSocketAddress destination = (InetSocketAddress) client.localAddress();
        boolean ipv6 = source.getAddress() instanceof java.net.Inet6Address
                || destination.getAddress() instanceof java.net.Inet6Address;
        return new HAProxyMessage(
                version.equals("v2") ? HAProxyProtocolVersion.V2 : HAProxyProtocolVersion.V1, HAProxyCommand.PROXY,
                ipv6 ? HAProxyProxiedProtocol.TCP6 : HAProxyProxiedProtocol.TCP4,
                hostAddress(source, ipv6), hostAddress(destination, ipv6), source.getPort(), destination.getPort());
    }

    /** The address as the header's family writes it: an IPv4 address is mapped when the other one is IPv6. */
    private static String hostAddress(InetSocketAddress address, boolean ipv6) {
        String host = address.getAddress().getHostAddress();
        return ipv6 && address.getAddress() instanceof java.net.Inet4Address ? "::ffff:" + host : host;
    }

    private static int localPort(Channel channel) {
        return ClientAddress.localPort(channel);
    }
}
