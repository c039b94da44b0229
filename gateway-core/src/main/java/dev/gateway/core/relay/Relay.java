package dev.gateway.core.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Moves bytes both ways between two connected channels, untouched: a TCP service behind the gateway, or a
 * WebSocket after its 101. Both channels run on one event loop, so the relay needs no locks.
 *
 * <ul>
 *   <li><b>Backpressure.</b> Each side is read only while the other can take more (its write-buffer water marks),
 *       so a slow reader holds back its peer's sender instead of growing the heap.
 *   <li><b>Half-close.</b> When one side stops sending (its input is shut down), the other side's output is shut
 *       down, and replies still flow back. The relay ends once both directions are done, or either side closes.
 *   <li><b>Idle timeout.</b> A relay with no byte in either direction for the idle time is closed.
 *   <li><b>One report.</b> When it ends, the listener gets the bytes each way, the duration and the reason.
 * </ul>
 *
 * <p>Both channels must have auto-read off; the relay decides when to read. A channel that waits for its peer
 * (a client while the upstream connects) must be {@linkplain #hold held} from the start: even with auto-read
 * off, a peer that sends and then shuts down its output makes the transport read what is left, and those bytes
 * must not be lost before the relay takes over.
 */
public final class Relay {

    /** Why a relay ended. */
    public enum Reason {
        /** Both sides finished sending (half-closes) and everything was delivered. */
        DONE,
        /** The client side closed its connection. */
        CLIENT_CLOSED,
        /** The upstream side closed its connection. */
        UPSTREAM_CLOSED,
        /** Nothing moved either way for the idle time. */
        IDLE,
        /** A read or write failed on either side. */
        ERROR,
        /** The gateway closed it (a stop). */
        STOPPED
    }

    /** What a relay did, reported once when it ends. */
    public record Report(long clientToUpstreamBytes, long upstreamToClientBytes, long durationNanos, Reason reason,
            Throwable cause) {
    }

    private final Side client;
    private final Side upstream;
    private final long idleTimeoutNanos;
    private final Consumer<Report> onEnd;
    private final long startNanos = System.nanoTime();
    private long lastActivityNanos = startNanos;
    private ScheduledFuture<?> idleCheck;
    private boolean ended;

    private Relay(Channel client, Channel upstream, long idleTimeoutNanos, Consumer<Report> onEnd) {
        this.client = new Side(client, Reason.CLIENT_CLOSED);
        this.upstream = new Side(upstream, Reason.UPSTREAM_CLOSED);
        this.client.peer = this.upstream;
        this.upstream.peer = this.client;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.onEnd = onEnd;
    }

    /**
     * Keeps whatever a channel receives until {@link #join} takes it over, and lets it be half-closed meanwhile.
     * Call on the channel's event loop before its first read could happen (in {@code channelActive} or earlier).
     */
    public static void hold(Channel channel) {
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        channel.pipeline().addLast(HOLD_NAME, new Hold());
    }

    private static final String HOLD_NAME = "relay-hold";

    /** What a held channel received before the relay started: replayed to the relay in order. */
    private static final class Hold extends ChannelInboundHandlerAdapter {
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

    /**
     * Joins two connected channels of one event loop; call on that loop. Each channel's pipeline gets the relay
     * as its last handler, so handlers before it (TLS) still apply.
     *
     * @param idleTimeoutNanos close after this long without a byte either way; 0 for never
     * @param onEnd gets the report once, when the relay ends
     */
    public static Relay join(Channel client, Channel upstream, long idleTimeoutNanos, Consumer<Report> onEnd) {
        if (client.eventLoop() != upstream.eventLoop()) {
            throw new IllegalArgumentException("a relay's channels must share one event loop");
        }
        Relay relay = new Relay(client, upstream, idleTimeoutNanos, onEnd);
        relay.start();
        return relay;
    }

    private void start() {
        for (Side side : new Side[] {client, upstream}) {
            // A side that stops sending must not close the connection: the other direction may still be busy.
            side.channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            side.channel.pipeline().addLast(side);
        }
        if (idleTimeoutNanos > 0) {
            scheduleIdleCheck(idleTimeoutNanos);
        }
        for (Side side : new Side[] {client, upstream}) {
            if (!side.channel.isActive()) {
                // Closed before the relay started (a reset while the upstream connected): its inactive event
                // has passed already.
                end(side.closedReason, null);
                return;
            }
        }
        for (Side side : new Side[] {client, upstream}) {
            ChannelHandlerContext held = side.channel.pipeline().context(HOLD_NAME);
            if (held != null && !ended && held.handler() instanceof Hold) {
                ((Hold) held.handler()).replay(held);
            }
        }
        if (!ended) {
            client.readMore();
            upstream.readMore();
        }
    }

    /** Ends the relay from outside, closing both sides (a stop); on the event loop or not. */
    public void close() {
        client.channel.eventLoop().execute(() -> end(Reason.STOPPED, null));
    }

    private void scheduleIdleCheck(long delayNanos) {
        idleCheck = client.channel.eventLoop().schedule(() -> {
            long idleFor = System.nanoTime() - lastActivityNanos;
            if (idleFor >= idleTimeoutNanos) {
                end(Reason.IDLE, null);
            } else {
                scheduleIdleCheck(idleTimeoutNanos - idleFor);
            }
        }, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Ends the relay: pending bytes are flushed, then both channels close, and the report goes out once. */
    private void end(Reason reason, Throwable cause) {
        if (ended) {
            return;
        }
        ended = true;
        if (idleCheck != null) {
            idleCheck.cancel(false);
        }
        client.closeAfterFlush();
        upstream.closeAfterFlush();
        onEnd.accept(new Report(client.bytesRead, upstream.bytesRead, System.nanoTime() - startNanos, reason,
                cause));
    }

    /** One channel of the relay: what it reads goes to its peer. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final Channel channel;
        private final Reason closedReason;
        private Side peer;
        private long bytesRead;
        private boolean inputDone;
        private boolean outputDone;

        Side(Channel channel, Reason closedReason) {
            this.channel = channel;
            this.closedReason = closedReason;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (ended) {
                ReferenceCountUtil.release(msg);
                return;
            }
            bytesRead += readableBytes(msg);
            lastActivityNanos = System.nanoTime();
            peer.channel.write(msg, peer.channel.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (ended) {
                return;
            }
            peer.channel.flush();
            // Read on only while the peer can take more; its writability change resumes us otherwise.
            if (peer.channel.isWritable()) {
                readMore();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (!ended && channel.isWritable()) {
                peer.readMore();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent) {
                // This side sent its last byte: pass the end on, and let the other direction finish.
                inputDone = true;
                peer.shutdownOutput();
                if (peer.inputDone) {
                    end(Reason.DONE, null);
                }
                return;
            }
            ctx.fireUserEventTriggered(event);
        }

        /** Asks for more from this side, unless it has sent its last byte (a read then would fail). */
        void readMore() {
            if (!inputDone && !(channel instanceof DuplexChannel duplex && duplex.isInputShutdown())) {
                channel.read();
            }
        }

        private void shutdownOutput() {
            if (outputDone) {
                return;
            }
            outputDone = true;
            if (channel instanceof DuplexChannel duplex) {
                channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> duplex.shutdownOutput());
            } else {
                closeAfterFlush();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            end(closedReason, null);
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            end(cause instanceof IOException ? closedReason : Reason.ERROR, cause);
        }

        private void closeAfterFlush() {
            if (channel.isActive()) {
                channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            } else {
                channel.close();
            }
        }
    }

    private static long readableBytes(Object msg) {
        if (msg instanceof ByteBuf buf) {
            return buf.readableBytes();
        }
        if (msg instanceof ByteBufHolder holder) {
            return holder.content().readableBytes();
        }
        return 0;
    }
}
