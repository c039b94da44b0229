package dev.gateway.core.relay;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * What a {@linkplain Relay#hold held} channel received before the relay started: kept, then replayed to the relay
 * in order.
 */
final class Hold extends ChannelInboundHandlerAdapter {

    /** Its name in the pipeline, where the relay finds it. */
    static final String NAME = "relay-hold";

    private final ArrayDeque<Object> received = new ArrayDeque<>(2);
    private boolean inputShutdown;
    private Throwable failure;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        received.add(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Nothing to pass on yet.
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            inputShutdown = true;
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset while waiting: the relay learns of it first thing.
        if (failure == null) {
            failure = cause;
        }
    }

    /** Hands everything kept to the handlers after this one (the relay), then steps out. */
    void replay(ChannelHandlerContext ctx) {
        boolean any = !received.isEmpty();
        Object msg;
        while ((msg = received.poll()) != null) {
            ctx.fireChannelRead(msg);
        }
        if (any) {
            ctx.fireChannelReadComplete();
        }
        if (failure != null) {
            ctx.fireExceptionCaught(failure);
        } else if (inputShutdown) {
            ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
        ctx.pipeline().remove(this);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        received.forEach(ReferenceCountUtil::release);
        received.clear();
    }
}
