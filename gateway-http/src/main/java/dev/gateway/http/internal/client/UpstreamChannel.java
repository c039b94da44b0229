package dev.gateway.http.internal.client;

import dev.gateway.core.relay.Relay;
import dev.gateway.http.PipelineNames;
import dev.gateway.http.UpstreamEndpoint;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * One upstream connection and the last handler of its pipeline. While an exchange owns it, every response part
 * goes to that exchange; while it sits idle in its pool, any byte from the upstream is a protocol error and a
 * close removes it from the pool.
 */
public final class UpstreamChannel extends ChannelInboundHandlerAdapter {

    final UpstreamEndpoint endpoint;
    private final UpstreamPool pool;
    private Channel channel;
    private UpstreamExchange owner;
    /** When the connection went back to the pool, for idle eviction. */
    long idleSinceNanos;
    /** Exchanges served so far; above zero the connection is a reused one. */
    int served;
    /**
     * An HTTP/2 stream on a connection that was already open: like a reused HTTP/1.1 connection, it may meet a
     * GOAWAY the gateway had not read yet, and a bodyless idempotent request refused that way is sent again.
     */
    boolean onSharedConnection;

    UpstreamChannel(UpstreamEndpoint endpoint, UpstreamPool pool) {
        this.endpoint = endpoint;
        this.pool = pool;
    }

    Channel channel() {
        return channel;
    }

    /** Writes a request part, to go out with the next {@link #flush}. */
    public void write(Object part) {
        channel.write(part, channel.voidPromise());
    }

    public void flush() {
        channel.flush();
    }

    /** Asks for the next part of the response. */
    public void read() {
        channel.read();
    }

    /** Whether the upstream takes more of the request now; when it does again, the owner hears of it. */
    public boolean isWritable() {
        return channel.isWritable();
    }

    /** Whether this is an HTTP/2 stream, rather than an HTTP/1.1 connection. */
    public boolean isHttp2() {
        return endpoint.http2();
    }

    public boolean isReused() {
        return served > 0 || onSharedConnection;
    }

    public void attach(UpstreamExchange exchange) {
        this.owner = exchange;
    }

    /** Gives the connection back to its pool, or closes it when it cannot be reused. */
    public void release(boolean reusable) {
        owner = null;
        served++;
        // An HTTP/2 stream serves one exchange; its connection is shared and stays.
        if (reusable && !endpoint.http2() && channel.isActive()) {
            pool.offer(this);
        } else {
            channel.close();
        }
    }

    /** Closes the connection without pooling it. */
    public void discard() {
        owner = null;
        if (channel != null) {
            channel.close();
        }
    }

    /**
     * Takes the connection out of HTTP after a {@code 101}: it is held for a relay with whatever the upstream sent
     * after the response, and belongs to no exchange or pool any more.
     */
    public Channel switchProtocols() {
        owner = null;
        Relay.holdSwitching(channel);
        // This handler first: the codec's leftover bytes must reach the hold, not an exchange.
        channel.pipeline().remove(this);
        channel.pipeline().remove(PipelineNames.CLIENT_CODEC);
        return channel;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamExchange exchange = owner;
        if (exchange != null) {
            exchange.onUpstreamMessage(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamExchange exchange = owner;
        if (exchange != null) {
            exchange.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamExchange exchange = owner;
        if (exchange != null) {
            exchange.onUpstreamWritabilityChanged();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        pool.remove(this);
        UpstreamExchange exchange = owner;
        owner = null;
        if (exchange != null) {
            exchange.onUpstreamClosed(this, null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        UpstreamExchange exchange = owner;
        owner = null;
        if (exchange != null) {
            exchange.onUpstreamClosed(this, cause);
        }
        ctx.close();
    }
}
