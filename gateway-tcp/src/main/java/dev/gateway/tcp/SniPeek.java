package dev.gateway.tcp;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.util.concurrent.Future;

/**
 * Reads the server name from a TLS ClientHello without terminating TLS, as nginx's {@code ssl_preread} and
 * HAProxy's {@code req.ssl_sni} do: the ClientHello is kept, the name goes out as a {@link Peeked} event, and
 * then every byte, the ClientHello first, passes on untouched to be relayed. A client that does not start
 * with TLS yields no name.
 */
final class SniPeek extends AbstractSniHandler<String> {

    /** The name a client asked for; {@code null} when it sent none or did not speak TLS. */
    record Peeked(String serverName) {
    }

    @Override
    protected Future<String> lookup(ChannelHandlerContext ctx, String hostname) {
        return ctx.executor().newSucceededFuture(hostname);
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<String> future) {
        ctx.fireUserEventTriggered(new Peeked(hostname));
        // Removing the decoder hands on the ClientHello it kept, for the relay.
        ctx.pipeline().remove(this);
    }
}
