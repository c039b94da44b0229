package dev.gateway.ssews;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Watches the WebSocket frames written to one side of a relay, reading only their headers, so that the gateway can
 * end the connection properly: when it stops, a close frame with status 1001 (going away) goes in at the next
 * frame boundary, and nothing after it. Frames are never decoded or changed; a payload costs one subtraction.
 *
 * <p>Frames written to an upstream are the client's, masked; the close frame the gateway writes there is masked
 * too, as RFC 6455 requires of every frame a client sends.
 */
final class FrameBoundary extends ChannelOutboundHandlerAdapter {

    static final String NAME = "websocket-frames";

    /** 1001: the endpoint is going away (a server shutting down). */
    static final int GOING_AWAY = 1001;

    private static final byte CLOSE = (byte) 0x88;
    private static final int MAX_HEADER = 14;

    private final boolean maskOwnFrames;
    private final byte[] header = new byte[MAX_HEADER];
    private int headerLength;
    private int headerNeeded = 2;
    private long payloadLeft;
    /** A close with 1001 is due at the next boundary. */
    private boolean closing;
    /** The close went out: everything after it is dropped. */
    private boolean closed;
    private ChannelHandlerContext ctx;

    /** @param maskOwnFrames whether frames the gateway writes here must be masked (towards an upstream) */
    FrameBoundary(boolean maskOwnFrames) {
        this.maskOwnFrames = maskOwnFrames;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Sends a close frame with 1001 at the next frame boundary; on the channel's event loop. */
    void goAway() {
        if (closing || closed) {
            return;
        }
        closing = true;
        if (atBoundary()) {
            writeClose(ctx.newPromise());
            ctx.flush();
        }
    }

    boolean atBoundary() {
        return headerLength == 0 && payloadLeft == 0;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf bytes)) {
            ctx.write(msg, promise);
            return;
        }
        if (closed) {
            ReferenceCountUtil.release(bytes);
            promise.trySuccess();
            return;
        }
        if (!closing) {
            track(bytes, bytes.readerIndex(), bytes.writerIndex());
            ctx.write(bytes, promise);
            return;
        }
        // Closing while a frame was under way: the rest of that frame, then the close, then nothing.
        int end = boundaryWithin(bytes);
        if (end < 0) {
            ctx.write(bytes, promise);
            return;
        }
        ByteBuf head = bytes.retainedSlice(bytes.readerIndex(), end - bytes.readerIndex());
        bytes.release();
        ctx.write(head, ctx.voidPromise());
        writeClose(promise);
    }

    private void writeClose(ChannelPromise promise) {
        closed = true;
        ctx.write(closeFrame(maskOwnFrames), promise);
    }

    /**
     * Follows the frames in {@code bytes} up to the first boundary.
     *
     * @return the index of that boundary, or -1 when the buffer ends inside a frame
     */
    private int boundaryWithin(ByteBuf bytes) {
        int i = bytes.readerIndex();
        int end = bytes.writerIndex();
        while (i < end) {
            i = step(bytes, i, end);
            if (atBoundary()) {
                return i;
            }
        }
        return -1;
    }

    /** Follows every frame header in {@code bytes[from, to)}, skipping payloads. */
    private void track(ByteBuf bytes, int from, int to) {
        int i = from;
        while (i < to) {
            i = step(bytes, i, to);
        }
    }

    /** Consumes payload bytes or one header byte; returns the next index. */
    private int step(ByteBuf bytes, int i, int to) {
        if (payloadLeft > 0) {
            long take = Math.min(payloadLeft, to - i);
            payloadLeft -= take;
            return i + (int) take;
        }
        header[headerLength++] = bytes.getByte(i);
        if (headerLength == 2) {
            int length7 = header[1] & 0x7f;
            headerNeeded = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + ((header[1] & 0x80) != 0 ? 4 : 0);
        }
        if (headerLength >= 2 && headerLength == headerNeeded) {
            payloadLeft = payloadLength();
            headerLength = 0;
            headerNeeded = 2;
        }
        return i + 1;
    }

    private long payloadLength() {
        int length7 = header[1] & 0x7f;
        if (length7 == 126) {
            return ((header[2] & 0xffL) << 8) | (header[3] & 0xffL);
        }
        if (length7 == 127) {
            long length = 0;
            for (int k = 2; k < 10; k++) {
                length = (length << 8) | (header[k] & 0xffL);
            }
            return length;
        }
        return length7;
    }

    /** A close frame with 1001 and a reason, masked with a random key when {@code masked}. */
    static ByteBuf closeFrame(boolean masked) {
        byte[] payload = {(byte) (GOING_AWAY >> 8), (byte) GOING_AWAY, 'g', 'o', 'i', 'n', 'g', ' ', 'a', 'w', 'a',
            'y'};
        ByteBuf frame = Unpooled.buffer(2 + (masked ? 4 : 0) + payload.length);
        frame.writeByte(CLOSE);
        frame.writeByte((masked ? 0x80 : 0) | payload.length);
        if (masked) {
            byte[] key = new byte[4];
            ThreadLocalRandom.current().nextBytes(key);
            frame.writeBytes(key);
            for (int k = 0; k < payload.length; k++) {
                payload[k] ^= key[k & 3];
            }
        }
        frame.writeBytes(payload);
        return frame;
    }
}
