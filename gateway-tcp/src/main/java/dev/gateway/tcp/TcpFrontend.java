package dev.gateway.tcp;

import dev.gateway.core.lb.Target;
import dev.gateway.core.net.ClientAddress;
import dev.gateway.core.net.ProxyProtocol;
import dev.gateway.core.relay.Relay;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP service's client connection until its relay starts. On a plain {@code tcp} port the API is known at
 * once; on a {@code tls} port the client's SNI picks it, and the relay starts once the handshake is done. Then
 * the next upstream of the API is connected on the same event loop (over TLS for {@code tls://} targets) and
 * both connections go to a {@link Relay}. Whatever the client sends meanwhile is held for the relay.
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
        } else if (routes.terminatesTls() || routes.proxyProtocol()) {
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
            if (!routes.terminatesTls()) {
                connect(ctx, routes.match(null));
            }
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
                log.info("client={} TLS handshake failed on port {}: {}", ClientAddress.of(ctx.channel()),
                        localPort(ctx.channel()), handshake.cause().getMessage());
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
        Target target = chosen.targets().next();
        if (target == null) {
            log.warn("api={} client={} every host is down; closing", chosen.apiId(), ClientAddress.of(client));
            client.close();
            return;
        }
        long started = System.nanoTime();
        ChannelFuture connecting = proxy.upstreams().clone(client.eventLoop())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel upstream) {
                        if (target.tls()) {
                            upstream.pipeline().addLast(proxy.tls().client(chosen.insecureSkipVerify())
                                    .newHandler(upstream.alloc(), target.host(), target.port()));
                        }
                    }
                })
                .connect(target.host(), target.port());
        connecting.addListener(f -> {
            Channel upstream = connecting.channel();
            if (!f.isSuccess()) {
                log.warn("api={} client={} upstream={} connect failed: {}; closing", chosen.apiId(),
                        ClientAddress.of(client), target, f.cause().getMessage());
                client.close();
            } else if (!client.isActive()) {
                upstream.close();
            } else {
                ctx.pipeline().remove(this);
                Relay.join(client, upstream, proxy.idleTimeoutNanos(), report -> log.info(
                        "api={} client={} upstream={} closed: {} after {} ms, {} bytes in, {} bytes out{}",
                        chosen.apiId(), ClientAddress.of(client), target, report.reason(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                        report.clientToUpstreamBytes(), report.upstreamToClientBytes(),
                        report.cause() == null ? "" : " (" + report.cause() + ")"));
            }
        });
    }

    private static Object localPort(Channel channel) {
        return channel.localAddress() instanceof java.net.InetSocketAddress address ? address.getPort()
                : channel.localAddress();
    }
}
