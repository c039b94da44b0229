package dev.gateway.core.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxyProtocolTest {

    /** The 12-byte signature of a v2 header. */
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54,
        0x0A};

    /** Version 2, command PROXY. */
    private static final byte V2_PROXY = 0x21;

    /** AF_UNIX over a stream socket. */
    private static final byte UNIX_STREAM = 0x31;

    /** Each of the two socket paths of an AF_UNIX address block, NUL-padded. */
    private static final int UNIX_PATH_LENGTH = 108;

    /** The events the stage after the header gets. */
    private final List<Object> events = new ArrayList<>();

    private EmbeddedChannel channelExpectingHeader() {
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                events.add(event);
            }
        });
        ProxyProtocol.expect(channel);
        return channel;
    }

    @Test
    void headerFoundAfterARefusedOneIsNotRead() {
        EmbeddedChannel channel = channelExpectingHeader();
        // The first line is refused and the connection closed; as it closes, Netty's decoder reads the second.
        ByteBuf bytes = Unpooled.copiedBuffer("NOT A PROXY LINE\r\nPROXY TCP4 192.0.2.7 192.0.2.1 5555 443\r\n",
                StandardCharsets.US_ASCII);

        channel.writeInbound(bytes);

        assertFalse(channel.isOpen(), "the malformed header closed the connection");
        assertEquals(List.of(), events, "no header was read on the closed connection");
        assertNull(channel.attr(ClientAddress.ATTRIBUTE).get(), "the second line named no client");
        assertFalse(channel.finishAndReleaseAll());
        assertEquals(0, bytes.refCnt());
    }

    @Test
    void unixSocketPathIsNotTakenForAHostName() {
        EmbeddedChannel channel = channelExpectingHeader();
        ByteBuf header = Unpooled.buffer();
        header.writeBytes(V2_SIGNATURE).writeByte(V2_PROXY).writeByte(UNIX_STREAM).writeShort(2 * UNIX_PATH_LENGTH);
        writePath(header, "client.invalid"); // a name the client chose, which must not reach DNS
        writePath(header, "/run/gateway.sock");

        channel.writeInbound(header);

        assertTrue(channel.isOpen());
        assertEquals(List.of(ProxyProtocol.HEADER_READ), events, "the header is read");
        InetSocketAddress client = channel.attr(ClientAddress.ATTRIBUTE).get();
        assertNull(client, "a UNIX socket names no client IP; the socket peer stays the client: " + client);
        assertFalse(channel.finishAndReleaseAll());
        assertEquals(0, header.refCnt());
    }

    @Test
    void tcp6ClientIsAnAddressNotAName() {
        EmbeddedChannel channel = channelExpectingHeader();

        channel.writeInbound(Unpooled.copiedBuffer("PROXY TCP6 2001:db8::7 2001:db8::1 5555 443\r\n",
                StandardCharsets.US_ASCII));

        InetSocketAddress client = channel.attr(ClientAddress.ATTRIBUTE).get();
        assertEquals(new InetSocketAddress("2001:db8::7", 5555), client);
        assertFalse(client.isUnresolved());
        assertEquals("2001:db8:0:0:0:0:0:7", ClientAddress.ip(channel));
        assertFalse(channel.finishAndReleaseAll());
    }

    private static void writePath(ByteBuf header, String path) {
        byte[] bytes = path.getBytes(StandardCharsets.US_ASCII);
        header.writeBytes(bytes).writeZero(UNIX_PATH_LENGTH - bytes.length);
    }
}
