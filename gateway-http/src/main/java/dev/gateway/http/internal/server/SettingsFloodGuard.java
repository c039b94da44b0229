package dev.gateway.http.internal.server;

import dev.gateway.http.HttpSettings;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DecoratingHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Settings;
import java.util.concurrent.TimeUnit;

/**
 * A bound on the SETTINGS frames one HTTP/2 client connection may send: {@link HttpSettings#H2_MAX_SETTINGS_PER_WINDOW}
 * within {@link HttpSettings#H2_SETTINGS_WINDOW_SECONDS}, past which the connection gets GOAWAY
 * {@code ENHANCE_YOUR_CALM}. A client sends SETTINGS when it connects and seldom after; each one costs the gateway a
 * decode, an acknowledgement and a change of its encoder, and a hundred connections streaming them took over a
 * hundred million in ten seconds and a good client's p99 to a second (bench/http2-floods.sh). Netty bounds resets
 * and unwritten control frames, not this; the decorator follows the shape of its bound on resets.
 */
final class SettingsFloodGuard extends DecoratingHttp2ConnectionDecoder {

    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(HttpSettings.H2_SETTINGS_WINDOW_SECONDS);

    SettingsFloodGuard(Http2ConnectionDecoder delegate) {
        super(delegate);
    }

    @Override
    public void frameListener(Http2FrameListener listener) {
        super.frameListener(listener == null ? null : new Counting(listener));
    }

    @Override
    public Http2FrameListener frameListener() {
        Http2FrameListener listener = super.frameListener();
        return listener instanceof Counting counting ? counting.inner() : listener;
    }

    private static final class Counting extends Http2FrameListenerDecorator {
        private long windowStartNanos = System.nanoTime();
        private int inWindow;

        Counting(Http2FrameListener listener) {
            super(listener);
        }

        Http2FrameListener inner() {
            return listener;
        }

        @Override
        public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) throws Http2Exception {
            long now = System.nanoTime();
            if (now - windowStartNanos >= WINDOW_NANOS) {
                windowStartNanos = now;
                inWindow = 0;
            }
            if (++inWindow > HttpSettings.H2_MAX_SETTINGS_PER_WINDOW) {
                throw Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM,
                        "Maximum number %d of SETTINGS frames reached within %d seconds",
                        HttpSettings.H2_MAX_SETTINGS_PER_WINDOW, HttpSettings.H2_SETTINGS_WINDOW_SECONDS);
            }
            super.onSettingsRead(ctx, settings);
        }
    }
}
