package dev.gateway.ssews;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/**
 * Where the 1001 close goes when the gateway stops: never inside a frame. The watcher sits in a channel and sees
 * the relay's writes cut at arbitrary places, as reads from a socket come.
 */
class FrameBoundaryTest {

    /** A server frame (unmasked) with a 16-bit length: opcode binary, {@code length} payload bytes of 7. */
    private static byte[] frame(int length) {
        ByteBuf frame = Unpooled.buffer();
        frame.writeByte(0x82).writeByte(126).writeShort(length);
        for (int i = 0; i < length; i++) {
            frame.writeByte(7);
        }
        byte[] bytes = ByteBufUtil.getBytes(frame);
        frame.release();
        return bytes;
    }

    private static byte[] drain(EmbeddedChannel channel) {
        ByteBuf all = Unpooled.buffer();
        ByteBuf part;
        while ((part = channel.readOutbound()) != null) {
            all.writeBytes(part);
            part.release();
        }
        byte[] bytes = ByteBufUtil.getBytes(all);
        all.release();
        return bytes;
    }

    @Test
    void closeWaitsForTheFrameUnderWayAndNothingFollowsIt() {
        FrameBoundary watcher = new FrameBoundary(false);
        EmbeddedChannel channel = new EmbeddedChannel(watcher);
        byte[] first = frame(300);
        byte[] second = frame(10);

        // The first frame's header is cut after three bytes, its payload in the middle.
        channel.writeOutbound(Unpooled.wrappedBuffer(first, 0, 3));
        watcher.goAway();
        channel.writeOutbound(Unpooled.wrappedBuffer(first, 3, 200));
        byte[] restAndNext = new byte[first.length - 203 + second.length];
        System.arraycopy(first, 203, restAndNext, 0, first.length - 203);
        System.arraycopy(second, 0, restAndNext, first.length - 203, second.length);
        channel.writeOutbound(Unpooled.wrappedBuffer(restAndNext));
        channel.writeOutbound(Unpooled.wrappedBuffer(second));

        byte[] written = drain(channel);
        ByteBuf closeFrame = FrameBoundary.closeFrame(false);
        byte[] close = ByteBufUtil.getBytes(closeFrame);
        closeFrame.release();
        assertEquals(first.length + close.length, written.length);
        assertEquals(ByteBufUtil.hexDump(first), ByteBufUtil.hexDump(written, 0, first.length));
        assertEquals(ByteBufUtil.hexDump(close), ByteBufUtil.hexDump(written, first.length, close.length));
        assertEquals(1001, ((written[first.length + 2] & 0xff) << 8) | (written[first.length + 3] & 0xff));
        channel.finishAndReleaseAll();
    }

    @Test
    void closeGoesAtOnceBetweenFrames() {
        FrameBoundary watcher = new FrameBoundary(true);
        EmbeddedChannel channel = new EmbeddedChannel(watcher);
        channel.writeOutbound(Unpooled.wrappedBuffer(frame(5)));
        drain(channel);

        watcher.goAway();

        ByteBuf close = channel.readOutbound();
        assertEquals(0x88, close.getUnsignedByte(0));
        // Masked towards an upstream: the mask bit, four key bytes, and a payload that unmasks to 1001.
        assertEquals(0x80, close.getUnsignedByte(1) & 0x80);
        int code = ((close.getUnsignedByte(6) ^ close.getUnsignedByte(2)) << 8)
                | (close.getUnsignedByte(7) ^ close.getUnsignedByte(3));
        assertEquals(1001, code);
        close.release();
        channel.writeOutbound(Unpooled.wrappedBuffer(frame(5)));
        assertNull(channel.readOutbound(), "a frame went out after the close");
        channel.finishAndReleaseAll();
    }
}
