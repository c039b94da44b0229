package dev.gateway.http.internal.client;

import dev.gateway.http.HttpSettings;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** HTTP/2 flow-control windows and write batching, the same on client connections and upstream ones. */
public final class Http2Windows {

    /**
     * How long a close waits for the writes before it (a GOAWAY, the last resets) to leave: long enough for a peer
     * that reads, short enough that one that does not costs nothing.
     */
    static final long CLOSE_FLUSH_MILLIS = 1_000;

    private Http2Windows() {
    }

    /**
     * Raises the connection's flow-control window from HTTP/2's initial 64 KiB to
     * {@link HttpSettings#H2_CONNECTION_WINDOW}; SETTINGS cannot, only a WINDOW_UPDATE on stream 0.
     */
    public static void widenConnectionWindow(Channel connection) {
        connection.write(new DefaultHttp2WindowUpdateFrame(
                HttpSettings.H2_CONNECTION_WINDOW - Http2CodecUtil.DEFAULT_WINDOW_SIZE), connection.voidPromise());
    }

    /**
     * Many streams share one HTTP/2 connection, and each flushes when its exchange is done with a read: in one pass
     * of the event loop that is one {@code writev} per stream. This handler, between the socket (or TLS) and the
     * frame codec, turns the flushes of one pass into one: during a read of the connection until the read ends,
     * otherwise until the loop's next task. It also lets a close take what was written before it along (see
     * {@link FlushBeforeClose}).
     */
    public static FlushConsolidationHandler flushConsolidation() {
        return new FlushBeforeClose();
    }

    /**
     * A close that sends what was written before it, and nothing written after. Netty's bounds on resets and on
     * queued control frames write their GOAWAY and close the connection in the same call, in the middle of a read,
     * before anything of that read was flushed; the close then dropped the GOAWAY and the read's last resets, and a
     * MadeYouReset client saw a bare close instead of {@code ENHANCE_YOUR_CALM}. A flush just before the close is
     * not enough where writes complete asynchronously (io_uring), so the close waits until the writes before it are
     * done, or {@link #CLOSE_FLUSH_MILLIS} when the peer does not take them. Meanwhile the connection reads no more,
     * and whatever the codec writes (the resets of the rest of the read) is dropped, as a closed channel would drop
     * it: the peer gets the bound's resets and its GOAWAY, no more.
     */
    private static final class FlushBeforeClose extends FlushConsolidationHandler {

        private static final ClosedChannelException CLOSING = new ClosedChannelException();

        private boolean closing;
        private boolean closed;

        FlushBeforeClose() {
            super(DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (closing) {
                ReferenceCountUtil.release(msg);
                promise.tryFailure(CLOSING);
                return;
            }
            ctx.write(msg, promise);
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
            if (closing) {
                // A second close (the codec's, once its GOAWAY is written) ends with the first.
                ctx.channel().closeFuture().addListener(done -> promise.trySuccess());
                return;
            }
            // Always through the marker below, even when the socket's buffer looks empty: over TLS what the codec
            // wrote may still wait, unencrypted, in the TLS handler.
            if (!ctx.channel().isActive()) {
                super.close(ctx, promise);
                return;
            }
            closing = true;
            ctx.channel().config().setAutoRead(false);
            ScheduledFuture<?> backstop = ctx.executor().schedule(() -> closeOnce(ctx, promise), CLOSE_FLUSH_MILLIS,
                    TimeUnit.MILLISECONDS);
            // Writes complete in order: when this empty one is done, so is everything written before it.
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(done -> {
                backstop.cancel(false);
                closeOnce(ctx, promise);
            });
        }

        private void closeOnce(ChannelHandlerContext ctx, ChannelPromise promise) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                super.close(ctx, promise);
            } catch (Exception e) {
                promise.tryFailure(e);
            }
        }
    }
}
