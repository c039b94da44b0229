package dev.gateway.http.internal.client;

import dev.gateway.http.HttpSettings;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.flush.FlushConsolidationHandler;

/** HTTP/2 flow-control windows and write batching, the same on client connections and upstream ones. */
public final class Http2Windows {

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
     * otherwise until the loop's next task.
     */
    public static FlushConsolidationHandler flushConsolidation() {
        return new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true);
    }
}
