package dev.gateway.core.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol.AddressFamily;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PROXY protocol (v1 text and v2 binary) in front of a connection, as HAProxy, AWS and GCP load balancers
 * send it. The header is read first, before TLS, so SNI routing still works after it; the client address it
 * names becomes the connection's {@link ClientAddress} for logs and {@code X-Forwarded-For} when it is an IP
 * address (a v2 header may name a UNIX socket instead; the socket peer then stays the client). A connection whose
 * header is missing, malformed or later than {@link #HEADER_TIMEOUT_SECONDS} is closed with a log line. The
 * header's size is bounded as the specification says: 107 bytes for v1, 16 plus the declared length for v2.
 */
public final class ProxyProtocol {

    private static final Logger log = LoggerFactory.getLogger(ProxyProtocol.class);

    /** How long a new connection may take to send its PROXY header. */
    public static final long HEADER_TIMEOUT_SECONDS = 5;

    /** Fired down the pipeline once the header is read and the connection's bytes follow. */
    public static final Object HEADER_READ = new Object() {
        @Override
        public String toString() {
            return "PROXY header read";
        }
    };

    private static final String READER = "proxy-protocol";

    private ProxyProtocol() {
    }

    /**
     * Puts the header stage at the front of a new connection's pipeline. With auto-read off, the next handler
     * must ask for the first read as usual; the stage asks for the rest itself.
     */
    public static void expect(Channel channel) {
        channel.pipeline().addFirst(READER, new Reader());
        channel.pipeline().addFirst(new HAProxyMessageDecoder());
    }

    private static final class Reader extends ChannelInboundHandlerAdapter {
        private ScheduledFuture<?> timeout;
        private boolean failed;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            timeout = ctx.executor().schedule(() -> {
                ClientErrorLog.info(log, ctx.channel(), "client={} sent no PROXY protocol header within {}s on port {};"
                        + " closing", ctx.channel().remoteAddress(), HEADER_TIMEOUT_SECONDS,
                        ClientAddress.localPort(ctx.channel()));
                ctx.close();
            }, HEADER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof HAProxyMessage header)) {
                ctx.fireChannelRead(msg);
                return;
            }
            if (failed || !ctx.channel().isActive()) {
                // The decoder reads on as the channel closes, and may find a header in the bytes after the one
                // that failed (or timed out); the connection is refused already.
                ReferenceCountUtil.release(header);
                return;
            }
            try {
                InetAddress source = sourceIp(header);
                if (source != null) {
                    ctx.channel().attr(ClientAddress.ATTRIBUTE).set(new InetSocketAddress(source, header.sourcePort()));
                }
            } finally {
                ReferenceCountUtil.release(header);
            }
            timeout.cancel(false);
            // Out of the way. The decoder removes itself once this returns and hands the bytes after the header
            // to the next stage (TLS, or the protocol).
            ctx.pipeline().remove(this);
            ctx.fireUserEventTriggered(HEADER_READ);
            // The read that brought the header was asked for the connection's first bytes, which may come in a
            // later packet: ask again, as the next stage would have.
            ctx.read();
        }

        /**
         * The client's IP address, when the header names one. A v2 header may name a UNIX socket path instead (any
         * text), and this must never be looked up as a host name: that would block the event loop on DNS, for a
         * name the client chose.
         */
        private static InetAddress sourceIp(HAProxyMessage header) {
            AddressFamily family = header.proxiedProtocol().addressFamily();
            if (header.command() != HAProxyCommand.PROXY || header.sourceAddress() == null
                    || family != AddressFamily.AF_IPv4 && family != AddressFamily.AF_IPv6) {
                return null;
            }
            return NetUtil.createInetAddressFromIpAddressString(header.sourceAddress());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            timeout.cancel(false);
            if (failed) {
                return;
            }
            failed = true;
            ClientErrorLog.info(log, ctx.channel(), "client={} sent a malformed PROXY protocol header on port {};"
                    + " closing: {}", ctx.channel().remoteAddress(), ClientAddress.localPort(ctx.channel()),
                    cause.getMessage());
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            timeout.cancel(false);
            ctx.fireChannelInactive();
        }
    }
}
