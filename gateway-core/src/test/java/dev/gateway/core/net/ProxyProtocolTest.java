package dev.gateway.core.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxyProtocolTest {

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
}
