package dev.gateway.http.internal.client;

import dev.gateway.core.relay.Relay;
import dev.gateway.http.PipelineNames;
import dev.gateway.http.UpstreamEndpoint;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;

/**
 * One HTTP/1.1 upstream connection and the last handler of its pipeline. While an exchange owns it, every response part
 * goes to that exchange; while it sits idle in its pool, any byte from the upstream is a protocol error and a
 * close removes it from the pool.
 */
final class Http1UpstreamConnection extends ChannelInboundHandlerAdapter implements UpstreamChannel {

    final UpstreamEndpoint endpoint;
    private final UpstreamPool pool;
    private Channel channel;
    private UpstreamResponseDecoder decoder;
    private UpstreamExchange owner;
    /** When the connection went back to the pool, for idle eviction. */
    long idleSinceNanos;
    /** Exchanges served so far; above zero the connection is a reused one. */
    int served;
    Http1UpstreamConnection(UpstreamEndpoint endpoint, UpstreamPool pool) {
        this.endpoint = endpoint;
        this.pool = pool;
    }

    Channel channel() {
        return channel;
    }

    @Override
    public void write(Object part) {
        if (part instanceof HttpRequest request) {
            decoder.requestSent(request);
        }
        channel.write(part, channel.voidPromise());
    }

    @Override
    public void flush() {
        channel.flush();
    }

    @Override
    public void read() {
        channel.read();
    }

    @Override
    public boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public boolean isHttp2() {
        return false;
    }

    @Override
    public boolean isReused() {
        return served > 0;
    }

    @Override
    public void attach(UpstreamExchange exchange) {
        this.owner = exchange;
    }

    @Override
    public void release(boolean reusable) {
        owner = null;
        served++;
        if (reusable && channel.isActive()) {
            pool.offer(this);
        } else {
            channel.close();
        }
    }

    @Override
    public void discard() {
        owner = null;
        if (channel != null) {
            channel.close();
        }
    }

    @Override
    public Channel switchProtocols() {
        owner = null;
        Relay.holdSwitching(channel);
        // This handler first: the codec's leftover bytes must reach the hold, not an exchange.
        channel.pipeline().remove(this);
        channel.pipeline().remove(PipelineNames.CLIENT_DECODER);
        channel.pipeline().remove(PipelineNames.CLIENT_ENCODER);
        return channel;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        decoder = (UpstreamResponseDecoder) ctx.pipeline().get(PipelineNames.CLIENT_DECODER);
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
