package dev.gateway.core.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gateway.core.testing.CountingAllocator;
import dev.gateway.core.testing.TcpReads;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the PROXY protocol stage ({@link ProxyProtocol#expect}) with whatever a client may send first. The
 * corpus is in {@code ProxyProtocolFuzzTestInputs/}: v1 and v2 headers as load balancers send them. Whatever the
 * bytes, the stage must end in one of three ways, and the same way however TCP cuts them:
 * <ul>
 *   <li>read: one {@link ProxyProtocol#HEADER_READ}, the stage gone from the pipeline, and exactly the bytes after
 *       the header passed on (the header's length worked out here from the specification, not by Netty); a client
 *       address, when set, is an IP address as the header wrote it, never a name that was looked up;
 *   <li>refused: the channel closed, nothing passed on, and the only error a decoder's ({@link DecoderException}):
 *       Netty names most malformed headers with a {@link HAProxyProtocolException}, but a v2 TLV longer than its
 *       header with an {@link IndexOutOfBoundsException} inside a plain one ({@code v2-tlv-longer-than-header});
 *   <li>waiting for more: nothing passed on, and the channel closed once {@link ProxyProtocol#HEADER_TIMEOUT_SECONDS}
 *       have passed.
 * </ul>
 * No exception may reach the next stage or the end of the pipeline, and every buffer must be released.
 */
@Tag("fuzz")
class ProxyProtocolFuzzTest {

    /** The 12-byte signature that starts a v2 header. */
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54,
        0x0A};

    /** Offset of a v2 header's 16-bit length of the address block. */
    private static final int V2_LENGTH_OFFSET = 14;

    /** Size of a v2 header without its address block. */
    private static final int V2_FIXED_PART = 16;

    @FuzzTest(maxDuration = "30s")
    @Timeout(10)
    void readsHeaderOrCloses(byte[] input) {
        Outcome whole = run(input, TcpReads.whole(input));
        Outcome cut = run(input, TcpReads.cut(input));
        assertEquals(whole, cut, "the outcome must not depend on how TCP cuts the bytes");
    }

    /**
     * How the stage ended.
     *
     * @param client the client address set, as text; null when none
     * @param passedOn the bytes the next stage got, in hex
     * @param error the class of the first error the stage met (the Reader acts on that one; what the decoder says
     *     about the rest of the bytes as the channel closes depends on where they were cut); null when none
     */
    private record Outcome(boolean headerRead, boolean waited, String client, String passedOn, String error) {
    }

    private static Outcome run(byte[] input, List<byte[]> reads) {
        CountingAllocator allocator = new CountingAllocator();
        EmbeddedChannel channel = allocator.install(new EmbeddedChannel());
        NextStage next = new NextStage();
        channel.pipeline().addLast(next);
        ProxyProtocol.expect(channel);
        List<String> stage = List.copyOf(channel.pipeline().names().subList(0, 2)); // Netty's decoder, then our Reader
        ErrorSpy errors = new ErrorSpy();
        // Between the two: the Reader handles every error itself.
        channel.pipeline().addAfter(stage.get(0), "error-spy", errors);

        for (byte[] read : reads) {
            if (!channel.isOpen()) {
                break; // a closed socket reads no more
            }
            channel.writeInbound(allocator.copyOf(read)); // rethrows what reached the end of the pipeline
        }
        boolean waited = channel.isOpen() && next.headersRead == 0;
        if (waited) {
            channel.advanceTimeBy(ProxyProtocol.HEADER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            channel.runScheduledPendingTasks();
            assertFalse(channel.isOpen(), "a client that sends no complete header is closed after the timeout");
        }
        InetSocketAddress client = channel.attr(ClientAddress.ATTRIBUTE).get();
        boolean stageGone = stage.stream().noneMatch(channel.pipeline().names()::contains);
        channel.finishAndReleaseAll();

        assertEquals(List.of(), next.unexpected, "nothing but bytes and events reach the next stage");
        assertEquals(0, allocator.inUse(), "every buffer is released");
        if (next.headersRead > 0) {
            checkRead(input, next, client, stageGone);
        } else {
            checkNotRead(next, client, errors, waited);
        }
        return new Outcome(next.headersRead > 0, waited, client == null ? null : client.toString(),
                HexFormat.of().formatHex(next.bytes.toByteArray()), errors.first());
    }

    private static void checkRead(byte[] input, NextStage next, InetSocketAddress client, boolean stageGone) {
        assertEquals(1, next.headersRead, "one header read event");
        assertTrue(stageGone, "the decoder and the reader left the pipeline");
        byte[] after = Arrays.copyOfRange(input, headerLength(input), input.length);
        assertArrayEquals(after, next.bytes.toByteArray(), "exactly the bytes after the header are passed on");
        if (client != null) {
            assertNotNull(client.getAddress(), "the client address was not looked up as a name: " + client);
            String host = client.getHostString();
            assertTrue(NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host),
                    "the client address is an IP address: " + host);
        }
    }

    private static void checkNotRead(NextStage next, InetSocketAddress client, ErrorSpy errors, boolean waited) {
        assertEquals(0, next.bytes.size(), "nothing is passed on without a header");
        assertEquals(null, client, "no client address without a header");
        if (waited) {
            assertEquals(List.of(), errors.causes, "a client that is waited for sent nothing wrong yet");
        } else {
            assertFalse(errors.causes.isEmpty(), "a refused header names its error");
        }
        for (Throwable cause : errors.causes) {
            assertInstanceOf(DecoderException.class, cause,
                    () -> "a malformed header is a decoder's error, not " + chain(cause));
        }
    }

    /** An error and its causes, one line each, for a failure message. */
    private static String chain(Throwable error) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause()) {
            text.append('\n').append(t);
            if (t.getStackTrace().length > 0) {
                text.append(" at ").append(t.getStackTrace()[0]);
            }
        }
        return text.toString();
    }

    /** The length of the header that starts the input, from the specification's framing rules. */
    private static int headerLength(byte[] input) {
        if (input.length >= V2_FIXED_PART
                && Arrays.equals(input, 0, V2_SIGNATURE.length, V2_SIGNATURE, 0, V2_SIGNATURE.length)) {
            return V2_FIXED_PART + ((input[V2_LENGTH_OFFSET] & 0xff) << 8 | input[V2_LENGTH_OFFSET + 1] & 0xff);
        }
        String text = new String(input, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n");
        assertTrue(end >= 0, "a v1 header ends with CRLF");
        return end + 2;
    }

    /** The stage after the PROXY header: takes bytes and events, and notes anything else. */
    private static final class NextStage extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Object> unexpected = new ArrayList<>();
        int headersRead;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf) {
                byte[] copy = new byte[buf.readableBytes()];
                buf.readBytes(copy);
                bytes.writeBytes(copy);
            } else {
                unexpected.add(msg.getClass().getName());
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event == ProxyProtocol.HEADER_READ) {
                headersRead++;
            } else {
                unexpected.add(event);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            unexpected.add(cause);
        }
    }

    /** Notes the errors Netty's decoder raises on their way to our Reader. */
    private static final class ErrorSpy extends ChannelInboundHandlerAdapter {
        final List<Throwable> causes = new ArrayList<>();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            causes.add(cause);
            ctx.fireExceptionCaught(cause);
        }

        String first() {
            return causes.isEmpty() ? null : causes.get(0).getClass().getName();
        }
    }
}
