package dev.gateway.http.internal.server;

import dev.gateway.http.HttpSettings;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ByteProcessor;
import java.util.List;

/**
 * Netty's request decoder, made strict about the shapes used for request smuggling that it would otherwise
 * repair quietly. A request with both {@code Content-Length} and {@code Transfer-Encoding: chunked}, or with an
 * obsolete line fold (a header line starting with a space or tab, RFC 9112 section 5.2), comes out with a failed
 * {@link DecoderResult}, and the frontend answers 400 and closes.
 */
public final class StrictRequestDecoder extends HttpRequestDecoder {

    /** The reason given for a request with both framing headers. */
    public static final String BOTH_LENGTHS = "both Content-Length and Transfer-Encoding";

    /** The reason given for a folded header line. */
    public static final String OBS_FOLD = "obsolete line folding in a header";

    /** True while the bytes ahead belong to a request head, which is where a fold can hide. */
    private boolean inHead = true;
    /**
     * The request line has begun. Netty skips empty lines and other control characters before it (RFC 9112
     * section 2.2); counting those as head lines would take two of them for the blank line that ends the head, and
     * stop the scan before the real head.
     */
    private boolean headStarted;
    /** The last head byte seen was a line feed (heads may arrive split across reads). */
    private boolean afterLineFeed;
    /** The line feed seen was followed by CR: the next LF ends the head. */
    private boolean afterLineFeedCr;
    private boolean foldSeen;
    /**
     * Bytes from the reader index on that were scanned already. The decoder leaves an unfinished line in the
     * buffer for the next read, and those bytes must not be scanned twice.
     */
    private int scanned;
    private final ByteProcessor headScanner = this::scanHeadByte;

    public StrictRequestDecoder() {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(HttpSettings.MAX_REQUEST_LINE)
                .setMaxHeaderSize(HttpSettings.MAX_REQUEST_HEADERS)
                .setMaxChunkSize(HttpSettings.MAX_CHUNK)
                .setValidateHeaders(true));
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        if (inHead) {
            scanHead(buffer);
        }
        int before = out.size();
        int readerBefore = buffer.readerIndex();
        super.decode(ctx, buffer, out);
        scanned = Math.max(0, scanned - (buffer.readerIndex() - readerBefore));
        for (int i = before; i < out.size(); i++) {
            Object msg = out.get(i);
            if (msg instanceof HttpRequest request) {
                if (foldSeen && request.decoderResult().isSuccess()) {
                    request.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(OBS_FOLD)));
                }
                foldSeen = false;
            }
            if (msg instanceof LastHttpContent) {
                inHead = true;
                headStarted = false;
                afterLineFeed = false;
                afterLineFeedCr = false;
            }
        }
    }

    /**
     * Looks for a line feed followed by a space or tab before the blank line that ends the head. One pass of a
     * {@link ByteProcessor} over the new bytes: the buffer's bounds and reference count are checked once, not
     * per byte.
     */
    private void scanHead(ByteBuf buffer) {
        int from = buffer.readerIndex() + scanned;
        int length = buffer.writerIndex() - from;
        if (length <= 0) {
            return;
        }
        int stop = buffer.forEachByte(from, length, headScanner);
        scanned = (stop < 0 ? buffer.writerIndex() : stop + 1) - buffer.readerIndex();
    }

    /** One head byte; false at the blank line that ends the head. */
    private boolean scanHeadByte(byte b) {
        if (!headStarted) {
            int c = b & 0xff;
            if (Character.isISOControl(c) || Character.isWhitespace(c)) {
                return true;
            }
            headStarted = true;
        }
        if (afterLineFeed) {
            afterLineFeed = false;
            if (b == ' ' || b == '\t') {
                foldSeen = true;
            } else if (b == '\n') {
                inHead = false;
                return false;
            } else if (b == '\r') {
                afterLineFeedCr = true;
                return true;
            }
        } else if (afterLineFeedCr) {
            afterLineFeedCr = false;
            if (b == '\n') {
                inHead = false;
                return false;
            }
        }
        if (b == '\n') {
            afterLineFeed = true;
        }
        return true;
    }

    /**
     * Part of a request head has arrived and not its end: the connection waits inside a head, where
     * {@code read_header_timeout} applies, not between requests.
     */
    public boolean headInProgress() {
        return inHead && headStarted;
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        // Netty would drop Content-Length and go on; a proxy that does so can be made to disagree with the
        // upstream about where the request ends. Keep decoding as chunked, but mark the request failed.
        super.handleTransferEncodingChunkedWithContentLength(message);
        message.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(BOTH_LENGTHS)));
    }
}
