package dev.gateway.core.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Moves bytes both ways between two connected channels, untouched: a TCP service behind the gateway, or a
 * WebSocket after its 101. Both channels run on one event loop, so the relay needs no locks.
 *
 * <ul>
 *   <li><b>Backpressure.</b> Each side reads (auto-read) only while the other can take more (its write-buffer
 *       water marks), so a slow reader holds back its peer's sender instead of growing the heap.
 *   <li><b>Half-close.</b> When one side stops sending (its input is shut down), the other side's output is shut
 *       down, and replies still flow back. The relay ends once both directions are done, or either side closes.
 *   <li><b>Idle timeout.</b> A relay with no byte in either direction for the idle time is closed (checked once
 *       per idle time, so it closes between one and two idle times after its last byte).
 *   <li><b>One report.</b> When it ends, the listener gets the bytes each way, the duration and the reason.
 *   <li><b>A graceful stop.</b> {@link #stop} ends each side with a FIN rather than a reset: a byte stream has no
 *       boundary at which to drain, so the FIN is the signal, and a peer still sending must not get a reset
 *       instead (a close with unread bytes in the socket sends one, and so do bytes that arrive after it).
 *   <li><b>Zero copy.</b> With native epoll, between two plain TCP connections that were both {@linkplain #hold
 *       held}, a direction that carries bulk data (a read round of {@value #BULK_ROUND_BYTES} bytes or more) is
 *       spliced: its next {@value #SPLICE_CHUNK_BYTES} bytes go from socket to socket through a kernel pipe and
 *       never enter the JVM, with the pipe (64 KiB) as the backpressure. Small exchanges stay copied, which
 *       takes fewer system calls per message than splicing, as HAProxy's {@code splice-auto} decides.
 * </ul>
 *
 * <p>Both channels must have auto-read off until the relay starts; it then reads. A channel that waits for its
 * peer (a client while the upstream connects) must be {@linkplain #hold held} from the start: even with
 * auto-read off, a peer that sends and then shuts down its output makes the transport read what is left, and
 * those bytes must not be lost before the relay takes over.
 */
public final class Relay {

    /** A read round at least this large shows a direction carrying bulk data, which is then spliced. */
    static final int BULK_ROUND_BYTES = 64 * 1024;
    /** How many bytes one splice carries before the direction is looked at again (copied for one round). */
    static final int SPLICE_CHUNK_BYTES = 16 * 1024 * 1024;

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

    /**
     * What a relay did, reported once when it ends.
     *
     * @param spliced whether some of the bytes went socket to socket in the kernel (zero copy)
     */
    public record Report(long clientToUpstreamBytes, long upstreamToClientBytes, long durationNanos, Reason reason,
            Throwable cause, boolean spliced) {
    }

    /** The relay a channel belongs to, on both of its channels. */
    private static final AttributeKey<Relay> RELAY = AttributeKey.valueOf(Relay.class, "relay");

    private final Side client;
    private final Side upstream;
    private final long idleTimeoutNanos;
    private final Consumer<Report> onEnd;
    private final long startNanos = System.nanoTime();
    private ScheduledFuture<?> idleCheck;
    private long movedAtLastCheck;
    /** Whether any bytes went through a splice. */
    private boolean spliced;
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
     * Only held channels are spliced: holding also counts what the channel reads, from its first byte.
     */
    public static void hold(Channel channel) {
        // Counting every read lets the relay splice this channel and still report its bytes.
        channel.config().setRecvByteBufAllocator(new ByteCounter(channel.config().getRecvByteBufAllocator()));
        holdSwitching(channel);
    }

    /**
     * Holds a channel that switches to the relay after it has been read from (an HTTP connection after its
     * {@code 101 Switching Protocols}); call on its event loop, before removing the handlers that read it, whose
     * leftover bytes then wait here. Such a relay copies: a transport caches its read allocator at the first read, so
     * the bytes could not be counted if they bypassed the pipeline.
     */
    public static void holdSwitching(Channel channel) {
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        channel.pipeline().addLast(Hold.NAME, new Hold());
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

    /** The relay {@code channel} is a side of, or {@code null} when it is in none (yet). */
    public static Relay of(Channel channel) {
        return channel.attr(RELAY).get();
    }

    private void start() {
        client.channel.attr(RELAY).set(this);
        upstream.channel.attr(RELAY).set(this);
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
            ChannelHandlerContext held = side.channel.pipeline().context(Hold.NAME);
            if (held != null && !ended && held.handler() instanceof Hold) {
                ((Hold) held.handler()).replay(held);
            }
        }
        if (ended) {
            return;
        }
        if (client.canSplice() && upstream.canSplice()) {
            client.counter = (ByteCounter) client.channel.config().getRecvByteBufAllocator();
            upstream.counter = (ByteCounter) upstream.channel.config().getRecvByteBufAllocator();
        }
        client.startReading();
        upstream.startReading();
    }

    /** Ends the relay from outside, closing both sides at once; on the event loop or not. */
    public void close() {
        client.channel.eventLoop().execute(() -> end(Reason.STOPPED, null));
    }

    /**
     * Ends the relay from outside as a stop ({@link Reason#STOPPED}), on the event loop or not: each side gets what
     * was on its way to it, then a FIN (its output shut down); what it sends after that is read and dropped, and its
     * channel closes when its FIN comes (the peer closed too), or after {@code lingerNanos} at most. A side that
     * cannot half-close (an HTTP/2 stream) or is in the middle of a splice closes at once.
     *
     * @return completes when both channels are closed
     */
    public Future<Void> stop(long lingerNanos) {
        Promise<Void> closed = client.channel.eventLoop().newPromise();
        client.channel.closeFuture().addListener(c -> upstream.channel.closeFuture().addListener(
                u -> closed.trySuccess(null)));
        client.channel.eventLoop().execute(() -> {
            if (ended) {
                return; // ended already: its channels are closing
            }
            ended = true;
            if (idleCheck != null) {
                idleCheck.cancel(false);
            }
            client.linger(lingerNanos);
            upstream.linger(lingerNanos);
            onEnd.accept(new Report(client.bytesRead(), upstream.bytesRead(), System.nanoTime() - startNanos,
                    Reason.STOPPED, null, spliced));
        });
        return closed;
    }

    /** Checks once per idle time whether any byte moved since the last check; spliced bytes pass no handler. */
    private void scheduleIdleCheck(long delayNanos) {
        idleCheck = client.channel.eventLoop().schedule(() -> {
            long moved = client.bytesRead() + upstream.bytesRead();
            if (moved == movedAtLastCheck) {
                end(Reason.IDLE, null);
            } else {
                movedAtLastCheck = moved;
                scheduleIdleCheck(idleTimeoutNanos);
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
        onEnd.accept(new Report(client.bytesRead(), upstream.bytesRead(), System.nanoTime() - startNanos, reason,
                cause, spliced));
    }

    /** One channel of the relay: what it reads goes to its peer. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final Channel channel;
        private final Reason closedReason;
        private Side peer;
        /** What the relay copied from this side; a side that may be spliced counts with {@link #counter}. */
        private long bytesCopied;
        /** Every byte this side read, copied or spliced: set when both sides may be spliced. */
        private ByteCounter counter;
        /** The counter's total at which the current splice ends; -1 before the first splice. */
        private long spliceUntil = -1;
        /** The FIN arrived on a side that has been spliced: bytes before it may still wait in the socket. */
        private boolean finReceived;
        private boolean inputDone;
        private boolean outputDone;
        /** Stopped: the FIN went (or goes) out, what comes in is dropped, and the peer's FIN closes the channel. */
        private boolean lingering;

        Side(Channel channel, Reason closedReason) {
            this.channel = channel;
            this.closedReason = closedReason;
        }

        long bytesRead() {
            return counter != null ? counter.total() : bytesCopied;
        }

        /** Whether a splice is under way: Netty reads this side into the pipe until the chunk is through. */
        private boolean splicing() {
            return spliceUntil >= 0 && counter.total() < spliceUntil;
        }

        /** Whether this side can be spliced to its peer: native epoll, counted reads, no handler but the relay. */
        boolean canSplice() {
            return Splice.supported(channel, peer.channel)
                    && channel.config().getRecvByteBufAllocator() instanceof ByteCounter
                    && channel.pipeline().first() == this && channel.pipeline().last() == this;
        }

        void startReading() {
            if (!inputDone) {
                Splice.keepRegistered(channel);
                channel.config().setAutoRead(true);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (ended) {
                ReferenceCountUtil.release(msg);
                return;
            }
            bytesCopied += readableBytes(msg);
            peer.channel.write(msg, peer.channel.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (ended) {
                return;
            }
            if (splicing()) {
                spliceRoundDone();
                return;
            }
            peer.channel.flush();
            if (!peer.channel.isWritable()) {
                // Held back until the peer drains below its low water mark (channelWritabilityChanged).
                channel.config().setAutoRead(false);
            } else if (counter != null && counter.thisRound() >= BULK_ROUND_BYTES && !finReceived && !inputDone) {
                splice();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (!ended && !peer.inputDone && !peer.splicing()) {
                peer.channel.config().setAutoRead(channel.isWritable());
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (lingering) {
                if (event instanceof ChannelInputShutdownEvent) {
                    channel.close();
                }
                return;
            }
            if (event instanceof ChannelInputShutdownEvent) {
                if (spliceUntil < 0) {
                    inputDone();
                } else {
                    // From a splice, the FIN may overtake bytes still in the socket: spliceRoundDone decides.
                    // From a copy, the next event says that every byte was read.
                    finReceived = true;
                }
                return;
            }
            if (event instanceof ChannelInputShutdownReadComplete) {
                if (finReceived && !inputDone) {
                    inputDone();
                }
                return;
            }
            ctx.fireUserEventTriggered(event);
        }

        /** This side sent its last byte: pass the end on, and let the other direction finish. */
        private void inputDone() {
            inputDone = true;
            channel.config().setAutoRead(false);
            peer.shutdownOutput();
            if (peer.inputDone) {
                end(Reason.DONE, null);
            }
        }

        /** Splices this side's next chunk to its peer. */
        private void splice() {
            spliced = true;
            spliceUntil = counter.total() + SPLICE_CHUNK_BYTES;
            Splice.start(channel, peer.channel, SPLICE_CHUNK_BYTES).addListener(f -> {
                if (!f.isSuccess()) {
                    // A failed read or write on either side; a side that closed is the one that ended it.
                    Side culprit = peer.channel.isActive() ? this : peer;
                    Throwable cause = f.cause();
                    end(cause instanceof IOException ? culprit.closedReason : Reason.ERROR,
                            cause instanceof ClosedChannelException ? null : cause);
                }
            });
        }

        /**
         * After each read round of a splicing side: once its FIN is in, a round that spliced nothing means
         * everything before the FIN is on its way, unless the pipe was full because the peer is behind. The
         * peer's empty outbound queue rules that out; otherwise wait for the queue to drain and look again.
         * Stopping to read then also stops the transport from waking up for the FIN over and over.
         */
        private void spliceRoundDone() {
            if (!finReceived || inputDone || counter.thisRound() > 0) {
                return;
            }
            channel.config().setAutoRead(false);
            ChannelOutboundBuffer queued = peer.channel.unsafe().outboundBuffer();
            if (queued == null || queued.isEmpty()) {
                inputDone();
            } else {
                peer.channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                    if (!ended) {
                        channel.config().setAutoRead(true);
                    }
                });
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
                // No half-close here (an HTTP/2 stream ends both ways): the relay ends because the peer finished.
                end(peer.closedReason, null);
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

        /** The stop of this side (see {@link Relay#stop}); the relay has ended, so reads are dropped. */
        private void linger(long lingerNanos) {
            if (!channel.isActive() || splicing() || !(channel instanceof DuplexChannel duplex)) {
                closeAfterFlush();
                return;
            }
            lingering = true;
            ScheduledFuture<?> bound = channel.eventLoop().schedule(() -> {
                channel.close();
            }, lingerNanos, TimeUnit.NANOSECONDS);
            channel.closeFuture().addListener(f -> bound.cancel(false));
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(written -> {
                if (!written.isSuccess()) {
                    channel.close();
                } else if (inputDone) {
                    // Its FIN came before the stop: nothing more will, so close once this side's FIN is out.
                    duplex.shutdownOutput().addListener(ChannelFutureListener.CLOSE);
                } else {
                    if (!outputDone) {
                        duplex.shutdownOutput();
                    }
                    // Read on, so that its FIN is seen and nothing it sends is left unread.
                    channel.config().setAutoRead(true);
                }
            });
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
