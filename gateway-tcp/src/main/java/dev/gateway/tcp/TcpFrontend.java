package dev.gateway.tcp;

import dev.gateway.core.lb.Target;
import dev.gateway.core.net.ClientAddress;
import dev.gateway.core.relay.Relay;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of a TCP service's client connection: it picks the next upstream of the API, connects to it
 * on the same event loop (over TLS for {@code tls://} targets), and hands both connections to a {@link Relay}.
 * Until the upstream is connected nothing is read from the client.
 */
final class TcpFrontend extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(TcpFrontend.class);

    private final TcpProxy proxy;
    private final TcpService service;

    TcpFrontend(TcpProxy proxy, TcpService service) {
        this.proxy = proxy;
        this.service = service;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel client = ctx.channel();
        ctx.pipeline().remove(this);
        // What the client sends while the upstream connects waits here for the relay.
        Relay.hold(client);
        if (service == null) {
            log.info("client={} port {} serves no API any more; closing", ClientAddress.of(client),
                    client.localAddress());
            client.close();
            return;
        }
        Target target = service.targets().next();
        if (target == null) {
            log.warn("api={} client={} every host is down; closing", service.apiId(), ClientAddress.of(client));
            client.close();
            return;
        }
        long started = System.nanoTime();
        ChannelFuture connecting = proxy.upstreams().clone(client.eventLoop())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel upstream) {
                        if (target.tls()) {
                            upstream.pipeline().addLast(proxy.tls().client(service.insecureSkipVerify())
                                    .newHandler(upstream.alloc(), target.host(), target.port()));
                        }
                    }
                })
                .connect(target.host(), target.port());
        connecting.addListener(f -> {
            Channel upstream = connecting.channel();
            if (!f.isSuccess()) {
                log.warn("api={} client={} upstream={} connect failed: {}; closing", service.apiId(),
                        ClientAddress.of(client), target, f.cause().toString());
                client.close();
            } else if (!client.isActive()) {
                upstream.close();
            } else {
                Relay.join(client, upstream, proxy.idleTimeoutNanos(), report -> log.info(
                        "api={} client={} upstream={} closed: {} after {} ms, {} bytes in, {} bytes out{}",
                        service.apiId(), ClientAddress.of(client), target, report.reason(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                        report.clientToUpstreamBytes(), report.upstreamToClientBytes(),
                        report.cause() == null ? "" : " (" + report.cause() + ")"));
            }
        });
    }
}
