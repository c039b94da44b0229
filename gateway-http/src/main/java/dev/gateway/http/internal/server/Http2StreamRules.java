package dev.gateway.http.internal.server;

import dev.gateway.core.net.ClientAddress;
import dev.gateway.core.net.ClientErrorLog;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.logging.LogLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules of RFC 9113 section 5.1 for a HEADERS frame on a stream that is not open, where Netty's decoder answers
 * otherwise. Checked on each HEADERS frame a client sends, before the decoder acts on it:
 *
 * <ul>
 *   <li>on a stream the client already ended (half-closed, remote): a stream error STREAM_CLOSED; Netty resets it
 *       with PROTOCOL_ERROR;
 *   <li>on a stream that both sides ended: a connection error STREAM_CLOSED; Netty resets the stream only. After a
 *       reset, from either side, a late HEADERS stays the stream's error, as the RFC says: the client may have sent
 *       it before it read the gateway's reset;
 *   <li>on a stream id the client skipped when it opened a higher one: a connection error PROTOCOL_ERROR, since
 *       ids only grow (5.1.1); Netty takes such an id for a closed stream.
 * </ul>
 *
 * <p>Netty lets code see an inbound frame before its decoder only through the codec's frame logger, so this is
 * one: it logs frames at TRACE as the logger it replaces would. Its checks throw the {@link Http2Exception} the
 * codec's own checks would, which the codec answers with RST_STREAM or GOAWAY. The frame was read whole first, so
 * the connection's header compression state is intact.
 */
final class Http2StreamRules extends Http2FrameLogger {

    private static final Logger log = LoggerFactory.getLogger(Http2StreamRules.class);

    /** How many gaps in the client's stream ids are remembered; a client that skips more is not usual. */
    private static final int SKIPPED_RANGES = 16;
    /** How many reset streams are remembered, for their late frames. */
    private static final int RESETS_REMEMBERED = 64;

    private Http2Connection connection;
    /** Ranges of stream ids the client skipped, as {first, last} pairs. */
    private final int[] skipped = new int[SKIPPED_RANGES * 2];
    private int skippedCount;
    /** The last streams reset by either side, a ring. */
    private final int[] resets = new int[RESETS_REMEMBERED];
    private int resetsNext;

    Http2StreamRules() {
        super(LogLevel.TRACE, Http2StreamRules.class);
    }

    /** Starts watching {@code codecConnection}, the connection of the codec built with this logger. */
    void watch(Http2Connection codecConnection) {
        this.connection = codecConnection;
        codecConnection.addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                if (stream.isResetSent()) {
                    rememberReset(stream.id());
                }
            }
        });
    }

    @Override
    public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
            int padding, boolean endStream) {
        super.logHeaders(direction, ctx, streamId, headers, padding, endStream);
        if (direction == Direction.INBOUND) {
            check(streamId);
        }
    }

    @Override
    public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
            int streamDependency, short weight, boolean exclusive, int padding, boolean endStream) {
        super.logHeaders(direction, ctx, streamId, headers, streamDependency, weight, exclusive, padding, endStream);
        if (direction == Direction.INBOUND) {
            check(streamId);
        }
    }

    @Override
    public void logRstStream(Direction direction, ChannelHandlerContext ctx, int streamId, long errorCode) {
        super.logRstStream(direction, ctx, streamId, errorCode);
        if (direction == Direction.INBOUND) {
            rememberReset(streamId);
        } else if (connection != null && !connection.goAwaySent() && connection.remote().isValidStreamId(streamId)
                && streamId > connection.remote().lastStreamCreated()) {
            // A stream refused before it opened: its header block failed HPACK decoding or Netty's field checks (a
            // line break in a value). The codec says so only at DEBUG, and no exchange ever starts to log it.
            // After a GOAWAY every new stream is refused, for that reason alone, which the GOAWAY's line said.
            ClientErrorLog.info(log, ctx.channel(), "client={} conn={} HTTP/2 stream {} refused before any route: "
                    + "its headers could not be decoded (RST_STREAM {})", ClientAddress.of(ctx.channel()),
                    ctx.channel().id().asShortText(), streamId, Http2ClientErrors.name(errorCode));
        }
    }

    private void rememberReset(int streamId) {
        resets[resetsNext] = streamId;
        resetsNext = (resetsNext + 1) % RESETS_REMEMBERED;
    }

    private void check(int streamId) {
        if (connection == null || !connection.remote().isValidStreamId(streamId)) {
            return; // the decoder refuses an id the client may not use
        }
        Http2Stream stream = connection.stream(streamId);
        if (stream != null) {
            if (stream.state() == Http2Stream.State.HALF_CLOSED_REMOTE) {
                throw rethrow(Http2Exception.streamError(streamId, Http2Error.STREAM_CLOSED,
                        "HEADERS on stream %d, which the client had ended", streamId));
            }
            return;
        }
        if (!connection.streamMayHaveExisted(streamId)) {
            noteSkipped(streamId);
            return;
        }
        if (wasSkipped(streamId)) {
            throw rethrow(Http2Exception.connectionError(Http2Error.PROTOCOL_ERROR,
                    "HEADERS opening stream %d after stream %d", streamId, connection.remote().lastStreamCreated()));
        }
        if (!wasReset(streamId)) {
            throw rethrow(Http2Exception.connectionError(Http2Error.STREAM_CLOSED,
                    "HEADERS on stream %d, which is closed", streamId));
        }
    }

    /** A new stream: the ids between the last one and this one, if any, are never to be used. */
    private void noteSkipped(int streamId) {
        int last = connection.remote().lastStreamCreated();
        int expected = last == 0 ? (streamId % 2 == 0 ? 2 : 1) : last + 2;
        if (streamId > expected && skippedCount < SKIPPED_RANGES) {
            skipped[skippedCount * 2] = expected;
            skipped[skippedCount * 2 + 1] = streamId - 2;
            skippedCount++;
        }
    }

    private boolean wasSkipped(int streamId) {
        for (int i = 0; i < skippedCount; i++) {
            if (streamId >= skipped[i * 2] && streamId <= skipped[i * 2 + 1]) {
                return true;
            }
        }
        return false;
    }

    private boolean wasReset(int streamId) {
        for (int id : resets) {
            if (id == streamId) {
                return true;
            }
        }
        return false;
    }

    /**
     * Throws a checked {@link Http2Exception} from a logger method, which may not declare one; the codec catches
     * what its frame reader throws and answers an {@code Http2Exception} by its type, whatever the declared one.
     */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException rethrow(Throwable exception) throws T {
        throw (T) exception;
    }
}
