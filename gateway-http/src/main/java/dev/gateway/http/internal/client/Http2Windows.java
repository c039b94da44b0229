package dev.gateway.http.internal.client;

import dev.gateway.http.HttpSettings;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;

/** HTTP/2 flow-control windows, the same on client connections and upstream ones. */
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
}
