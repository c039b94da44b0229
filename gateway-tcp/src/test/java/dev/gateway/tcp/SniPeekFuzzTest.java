package dev.gateway.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gateway.core.testing.CountingAllocator;
import dev.gateway.core.testing.TcpReads;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the SNI peek of {@code tls} ports that relay TLS untouched ({@link SniPeek}) with whatever a client may
 * send first. The corpus, in {@code SniPeekFuzzTestInputs/}, holds ClientHellos of OpenSSL, curl and the JDK, with
 * and without SNI, one cut over two TLS records, and clients that do not speak TLS. Whatever the bytes, the peek
 * must end in one of three ways, and the same way however TCP cuts them:
 * <ul>
 *   <li>peeked: one {@link SniPeek.Peeked} event (the name may be null), the peek gone from the pipeline, and every
 *       byte passed on untouched, the ClientHello first, for the relay;
 *   <li>refused: a record that claims to be TLS and is not ({@link NotSslRecordException}), or a ClientHello
 *       longer than Netty's bound of 64 KiB ({@link TooLongFrameException}); the channel closed, nothing passed on;
 *   <li>waiting for more: nothing passed on, and the channel closed once the client has been silent for
 *       {@link #SILENCE_SECONDS} (Netty's {@code AbstractSniHandler} gives a ClientHello 10 s by default).
 * </ul>
 * Nothing else may reach the next stage, and every buffer must be released.
 */
@Tag("fuzz")
class SniPeekFuzzTest {

    /** Silence after which a client that has not sent a whole ClientHello must have been closed. */
    private static final long SILENCE_SECONDS = 60;

    @FuzzTest(maxDuration = "30s")
    @Timeout(10)
    void peeksOrPassesOn(byte[] input) {
        Outcome whole = run(input, TcpReads.whole(input));
        Outcome cut = run(input, TcpReads.cut(input));
        assertEquals(whole, cut, "the outcome must not depend on how TCP cuts the bytes");
    }

    /**
     * How the peek ended.
     *
     * @param peeked the Peeked event came
     * @param serverName the name it carried
     * @param waited the input ended before the peek did, and the timeout closed the channel
     * @param passedOn the bytes the next stage got, in hex
     * @param error the class of the error the next stage was told of; null when none
     */
    private record Outcome(boolean peeked, String serverName, boolean waited, String passedOn, String error) {
    }

    private static Outcome run(byte[] input, List<byte[]> reads) {
        CountingAllocator allocator = new CountingAllocator();
        EmbeddedChannel channel = allocator.install(new EmbeddedChannel());
        NextStage next = new NextStage();
        channel.pipeline().addLast("sni-peek", new SniPeek());
        channel.pipeline().addLast(next);
        for (byte[] read : reads) {
            if (!channel.isOpen()) {
                break; // a closed socket reads no more
            }
            channel.writeInbound(allocator.copyOf(read)); // rethrows what reached the end of the pipeline
        }
        boolean waited = channel.isOpen() && next.peeked.isEmpty();
        if (waited) {
            channel.advanceTimeBy(SILENCE_SECONDS, TimeUnit.SECONDS);
            channel.runScheduledPendingTasks();
            assertFalse(channel.isOpen(), "a client that sends no complete ClientHello is closed after the timeout");
        }
        boolean peekGone = channel.pipeline().get("sni-peek") == null;
        boolean open = channel.isOpen();
        channel.finishAndReleaseAll();

        assertEquals(List.of(), next.unexpected, "nothing else reaches the next stage");
        assertEquals(0, allocator.inUse(), "every buffer is released");
        if (!next.peeked.isEmpty()) {
            assertEquals(1, next.peeked.size(), "one Peeked event");
            assertTrue(peekGone && open, "the peek left the pipeline of an open channel");
            assertArrayEquals(input, next.bytes.toByteArray(), "every byte passed on, in order, untouched");
            assertEquals(List.of(), next.errors, "a peek that ended found nothing wrong");
        } else {
            assertEquals(0, next.bytes.size(), "nothing is passed on before the peek ends");
            if (waited) {
                assertEquals(List.of(), next.errors, "a client that is waited for sent nothing wrong yet");
            } else {
                assertEquals(1, next.errors.size(), "a refused client gets one error: " + next.errors);
                Throwable error = next.errors.get(0);
                // NotSslRecordException is an SSLException, which the decoder wraps.
                Throwable cause = error instanceof DecoderException && error.getCause() != null ? error.getCause()
                        : error;
                assertTrue(cause instanceof NotSslRecordException || cause instanceof TooLongFrameException,
                        "a record that is not TLS, or a ClientHello too long: " + error);
            }
        }
        String name = next.peeked.isEmpty() ? null : next.peeked.get(0).serverName();
        return new Outcome(!next.peeked.isEmpty(), name, waited, HexFormat.of().formatHex(next.bytes.toByteArray()),
                next.errors.isEmpty() ? null : next.errors.get(0).getClass().getName());
    }

    /** The relay's side of the peek: takes bytes and the peek's events, and notes anything else. */
    private static final class NextStage extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<SniPeek.Peeked> peeked = new ArrayList<>();
        final List<Throwable> errors = new ArrayList<>();
        final List<Object> unexpected = new ArrayList<>();

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
            if (event instanceof SniPeek.Peeked peek) {
                peeked.add(peek);
            } else if (!(event instanceof SniCompletionEvent) && !(event instanceof SslHandshakeCompletionEvent)) {
                // Netty's own completion events follow the peek's, and TcpFrontend acts on Peeked only.
                unexpected.add(event);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    }
}
