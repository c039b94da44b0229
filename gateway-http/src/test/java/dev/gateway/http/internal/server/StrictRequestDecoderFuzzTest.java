package dev.gateway.http.internal.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gateway.core.testing.CountingAllocator;
import dev.gateway.core.testing.TcpReads;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the HTTP/1.1 request decoder of every HTTP listener ({@link StrictRequestDecoder}) with whatever a client
 * may send. The corpus, in {@code StrictRequestDecoderFuzzTestInputs/}, is requests as curl sends them: GET with
 * headers, POST with a length and chunked with {@code Expect}, HTTP/1.0, upgrades, and three requests pipelined.
 *
 * <p>What the decoder may do with any bytes, as {@link RequestCycle} consumes its output:
 * <ul>
 *   <li>emit requests, each a head then body parts then a last part ({@code HttpRequest}, {@code HttpContent}s,
 *       {@code LastHttpContent}), or stop in the middle of one when the bytes end;
 *   <li>mark a head or a part failed ({@link DecoderResult}); the frontend answers a failed head with the 4xx
 *       {@link RequestChecks#decodeFailure} picks, and closes. Once Netty itself refuses a message, it reads
 *       nothing more;
 *   <li>never throw, never let a successful head through with both {@code Content-Length} and
 *       {@code Transfer-Encoding} or with a control character in a header (what request smuggling is made of),
 *       and release every buffer;
 *   <li>decode the same requests however TCP cuts the bytes (the class's own promise, which its scan of the head
 *       for folded lines must keep).
 * </ul>
 */
@Tag("fuzz")
class StrictRequestDecoderFuzzTest {

    @FuzzTest(maxDuration = "30s")
    @Timeout(10)
    void decodesOrRefuses(byte[] input) {
        List<String> whole = decode(TcpReads.whole(input));
        List<String> cut = decode(TcpReads.cut(input));
        assertEquals(whole, cut, "the requests must not depend on how TCP cuts the bytes");
    }

    /** The decoder's output for the reads, one line per head, body and end, checked as it comes. */
    private static List<String> decode(List<byte[]> reads) {
        CountingAllocator allocator = new CountingAllocator();
        EmbeddedChannel channel = allocator.install(new EmbeddedChannel(new StrictRequestDecoder()));
        Transcript transcript = new Transcript();
        for (byte[] read : reads) {
            channel.writeInbound(allocator.copyOf(read)); // rethrows whatever the decoder threw
            drain(channel, transcript);
        }
        channel.finish(); // the client closes: the decoder says what an unfinished request came to
        drain(channel, transcript);
        assertFalse(channel.finishAndReleaseAll());
        assertEquals(0, allocator.inUse(), "every buffer is released");
        return transcript.end();
    }

    private static void drain(EmbeddedChannel channel, Transcript transcript) {
        for (Object msg = channel.readInbound(); msg != null; msg = channel.readInbound()) {
            try {
                transcript.add(msg);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    /** The decoder's messages in order, checked against the shapes above. */
    private static final class Transcript {
        private final List<String> lines = new ArrayList<>();
        private final StringBuilder body = new StringBuilder();
        private boolean inRequest;
        private boolean refusedByNetty;

        void add(Object msg) {
            assertFalse(refusedByNetty, "nothing follows a message Netty refused: " + msg);
            if (!(msg instanceof HttpObject part)) {
                fail("the decoder emits HTTP objects only: " + msg.getClass().getName());
                return;
            }
            if (msg instanceof FullHttpRequest whole) {
                // Netty's stand-in for a request it could not read at all.
                assertTrue(whole.decoderResult().isFailure(), "a whole request comes only as a refusal");
                head(whole);
                end(whole);
                refusedByNetty = true;
                return;
            }
            if (msg instanceof HttpRequest request) {
                head(request);
            }
            if (msg instanceof HttpContent content) {
                assertTrue(inRequest, "a body part belongs to a request head");
                body.append(ByteBufUtil.hexDump(content.content()));
                if (content instanceof LastHttpContent last) {
                    end(last);
                } else if (content.decoderResult().isFailure()) {
                    fail("a failed body part is the last one: " + content.decoderResult());
                }
            }
        }

        private void head(HttpRequest request) {
            assertFalse(inRequest, "a head comes after the last part of the request before");
            inRequest = true;
            DecoderResult result = request.decoderResult();
            if (result.isSuccess()) {
                checkHeaders(request.headers());
            } else {
                int status = RequestChecks.decodeFailure(result.cause()).status().code();
                assertTrue(status >= 400 && status < 500, "a request that cannot be read gets a 4xx: " + status);
            }
            lines.add("head " + request.method() + " " + request.uri() + " " + request.protocolVersion() + " "
                    + request.headers().entries() + " " + outcome(result));
        }

        private void end(LastHttpContent last) {
            lines.add("body " + body);
            body.setLength(0);
            if (last.decoderResult().isSuccess()) {
                checkHeaders(last.trailingHeaders());
            }
            lines.add("end " + last.trailingHeaders().entries() + " " + outcome(last.decoderResult()));
            inRequest = false;
            if (last.decoderResult().isFailure()) {
                refusedByNetty = true; // Netty refuses a bad chunk and reads no more
            }
        }

        private static void checkHeaders(HttpHeaders headers) {
            assertFalse(headers.contains(HttpHeaderNames.CONTENT_LENGTH)
                    && headers.contains(HttpHeaderNames.TRANSFER_ENCODING),
                    "a request passed with both Content-Length and Transfer-Encoding");
            for (Map.Entry<String, String> header : headers) {
                assertFalse(header.getKey().isEmpty(), "a header has a name");
                for (char c : (header.getKey() + header.getValue()).toCharArray()) {
                    assertTrue(c >= ' ' && c != 0x7f || c == '\t', "a control character passed in a header: "
                            + (int) c + " in " + header);
                }
            }
        }

        private static String outcome(DecoderResult result) {
            if (result.isSuccess()) {
                return "ok";
            }
            assertNotNull(result.cause(), "a failure has a cause");
            Throwable cause = result.cause();
            // HotSpot throws a preallocated, messageless instance of these once a site has thrown them often
            // (OmitStackTraceInFastThrow): the same failure then reads differently from one decode to the next.
            boolean fastThrown = cause instanceof NullPointerException || cause instanceof ArithmeticException
                    || cause instanceof ArrayIndexOutOfBoundsException || cause instanceof ArrayStoreException
                    || cause instanceof ClassCastException;
            return "failed " + cause.getClass().getName() + (fastThrown ? "" : ": " + cause.getMessage());
        }

        List<String> end() {
            if (inRequest) {
                lines.add("body " + body + " (unfinished)");
            }
            return lines;
        }
    }
}
