package dev.gateway.http.internal.server;

import dev.gateway.core.net.ClientAddress;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.http.HttpSettings;
import dev.gateway.http.PipelineNames;
import dev.gateway.http.internal.client.Http2Windows;
import dev.gateway.http.internal.codec.Http2StreamCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AsciiString;
import java.io.IOException;
import java.util.List;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/2 on a client connection. A connection starts with the HTTP/1.1 pipeline; when the client speaks HTTP/2
 * (ALPN {@code h2} after TLS; in cleartext the HTTP/2 preface, or an HTTP/1.1 {@code Upgrade: h2c}), the
 * HTTP/1.1 handlers make way for the HTTP/2
 * frame codec and one child channel per stream.
 *
 * <p>Each stream runs the same {@link FrontendHandler} as an HTTP/1.1 connection, behind a codec
 * ({@link Http2StreamCodec}) that reads frames as the exchange's messages, without converting header blocks: routing, timeouts, backpressure (the stream's flow-control window, through
 * the child channel's writability and demand-driven reads) and errors are one implementation for both.
 */
public final class Http2Negotiation {

    private static final Logger log = LoggerFactory.getLogger(Http2Negotiation.class);

    /** Largest body of an HTTP/1.1 request that asks to upgrade to h2c; larger ones get 413. */
    static final int MAX_UPGRADE_BODY = 64 * 1024;

    private Http2Negotiation() {
    }

    /** Switches a connection whose HTTP/1.1 pipeline is in place to HTTP/2. */
    static void install(ChannelPipeline pipeline, ListenerContext listener) {
        removeHttp1(pipeline);
        if (pipeline.get(PipelineNames.H2C_UPGRADE) != null) {
            pipeline.remove(PipelineNames.H2C_UPGRADE);
        }
        pipeline.addLast(PipelineNames.H2_FLUSH, Http2Windows.flushConsolidation());
        pipeline.addLast(PipelineNames.H2_CODEC, newFrameCodec(listener));
        pipeline.addLast(PipelineNames.H2_CLIENT_ERRORS, new Http2ClientErrors());
        pipeline.addLast(PipelineNames.H2_STREAMS, newStreams(listener));
        pipeline.addLast(PipelineNames.H2_IDLE, newIdleCheck(listener));
        pipeline.addLast(PipelineNames.H2_GUARD, new ConnectionGuard(listener));
        Http2Windows.widenConnectionWindow(pipeline.channel());
        readContinuously(pipeline.channel());
        goAwayIfClosing(pipeline.channel(), listener);
    }

    /**
     * A connection that starts HTTP/2 while the gateway is stopping gets the first GOAWAY at once, as those open
     * already got it (see {@link #goAwayKeepingStreams}).
     */
    private static void goAwayIfClosing(Channel connection, ListenerContext listener) {
        if (listener.closing().getAsBoolean()) {
            goAwayKeepingStreams(connection);
        }
    }

    /**
     * The first GOAWAY of a graceful shutdown (RFC 9113, 6.8): NO_ERROR with the last stream id 2^31-1. The client
     * opens no new stream on this connection, yet every stream it opens before this frame reaches it is still
     * served, so none is refused in the round trip; {@link #goAwayAndClose} later names the last one. On the
     * connection's event loop.
     */
    public static void goAwayKeepingStreams(Channel connection) {
        Http2FrameCodec codec = connection.pipeline().get(Http2FrameCodec.class);
        if (codec != null && connection.isActive() && !codec.connection().goAwaySent()) {
            connection.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR)
                    .setExtraStreamIds(Integer.MAX_VALUE));
        }
    }

    /**
     * The second GOAWAY of a graceful shutdown, naming the last stream the client opened (later ones are refused,
     * and safe for it to retry elsewhere), then a close that waits for the open streams (the stop's grace period ends
     * that wait through {@link #closeNow}). Without a first GOAWAY before it, this is the only one. On the
     * connection's event loop.
     */
    public static void goAwayAndClose(Channel connection) {
        Http2FrameCodec codec = connection.pipeline().get(Http2FrameCodec.class);
        if (codec != null && connection.isActive()) {
            connection.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
        }
        connection.close();
    }

    /** Takes the HTTP/1.1 handlers out; the frontend's removal cancels its timers. */
    private static void removeHttp1(ChannelPipeline pipeline) {
        FrontendHandler http1 = pipeline.get(FrontendHandler.class);
        if (http1 != null) {
            pipeline.remove(http1);
        }
        if (pipeline.get(PipelineNames.REQUEST_DECODER) != null) {
            pipeline.remove(PipelineNames.REQUEST_DECODER);
        }
        if (pipeline.get(PipelineNames.RESPONSE_ENCODER) != null) {
            pipeline.remove(PipelineNames.RESPONSE_ENCODER);
        }
    }

    private static Http2FrameCodec newFrameCodec(ListenerContext listener) {
        Http2Settings settings = Http2Settings.defaultSettings()
                .maxConcurrentStreams(HttpSettings.H2_MAX_CONCURRENT_STREAMS)
                .initialWindowSize(HttpSettings.H2_STREAM_WINDOW)
                .maxHeaderListSize(HttpSettings.MAX_REQUEST_HEADERS);
        if (listener.switches().extendedConnect()) {
            // RFC 8441: clients may open WebSockets on streams by extended CONNECT.
            settings.connectProtocolEnabled(true);
        }
        Http2StreamRules streamRules = new Http2StreamRules();
        Http2FrameCodec codec = new GuardedCodecBuilder()
                .initialSettings(settings)
                .frameLogger(streamRules)
                .validateHeaders(true)
                // A request without :method, :scheme or :path is reset (RFC 9113, 8.3.1) instead of reaching a
                // stream, where it hung until read_timeout.
                .validateRequiredPseudoHeaders(true)
                // A client that never reads its PING and SETTINGS acks is cut after this many wait unsent, with GOAWAY
                // ENHANCE_YOUR_CALM; Netty's default of 10,000 let one connection queue hundreds of KB of acks.
                .encoderEnforceMaxQueuedControlFrames(HttpSettings.H2_MAX_QUEUED_CONTROL_FRAMES)
                .decoderEnforceMaxRstFramesPerWindow(HttpSettings.H2_MAX_RESETS_PER_WINDOW,
                        HttpSettings.H2_RESET_WINDOW_SECONDS)
                .encoderEnforceMaxRstFramesPerWindow(HttpSettings.H2_MAX_RESETS_PER_WINDOW,
                        HttpSettings.H2_RESET_WINDOW_SECONDS)
                // Closing (a drain) sends GOAWAY and waits for the open streams, however long they take; the
                // stop's grace period ends the wait through closeNow.
                .gracefulShutdownTimeoutMillis(-1)
                .build();
        streamRules.watch(codec.connection());
        return codec;
    }

    /** Netty's server codec, with the bound on SETTINGS frames around its decoder. */
    private static final class GuardedCodecBuilder extends Http2FrameCodecBuilder {
        GuardedCodecBuilder() {
            server(true);
        }

        @Override
        protected Http2FrameCodec build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                Http2Settings initialSettings) {
            return super.build(new SettingsFloodGuard(decoder), encoder, initialSettings);
        }
    }

    /** Closes an HTTP/2 client connection without waiting any longer for its open streams; on its event loop. */
    public static void closeNow(Channel connection) {
        Http2FrameCodec codec = connection.pipeline().get(Http2FrameCodec.class);
        if (codec != null) {
            codec.gracefulShutdownTimeoutMillis(0);
        }
        connection.close();
    }

    private static Http2MultiplexHandler newStreams(ListenerContext listener) {
        return new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel stream) {
                // Each stream reads on demand, as an HTTP/1.1 connection does; the stream's window stays closed
                // while the exchange cannot pass bytes on.
                stream.config().setAutoRead(false);
                stream.pipeline().addLast(PipelineNames.H2_STREAM_CODEC, new Http2StreamCodec(true));
                stream.pipeline().addLast(PipelineNames.FRONTEND, new FrontendHandler(listener, null, null));
            }
        });
    }

    /**
     * Frames of every stream arrive on the connection: it always reads, and HTTP/2 flow control, not the socket,
     * holds back a client that sends faster than its upstreams take.
     */
    private static void readContinuously(Channel connection) {
        connection.config().setAutoRead(true);
    }

    /**
     * On a cleartext listener: answers an HTTP/1.1 request with {@code Upgrade: h2c} (and its
     * {@code HTTP2-Settings}) with 101, then serves it as stream 1 of the new HTTP/2 connection. Other requests
     * pass untouched. An upgrade request may carry a body of up to {@link #MAX_UPGRADE_BODY} bytes, which is
     * gathered first, as the upgrade needs it whole.
     */
    public static HttpServerUpgradeHandler upgradeHandler(ListenerContext listener) {
        HttpServerUpgradeHandler.SourceCodec http1 = ctx -> removeHttp1(ctx.pipeline());
        HttpServerUpgradeHandler.UpgradeCodecFactory h2c = protocol -> {
            if (!AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)) {
                return null;
            }
            return new Http2ServerUpgradeCodec(newFrameCodec(listener), new Http2ClientErrors(), newStreams(listener),
                    newIdleCheck(listener), new ConnectionGuard(listener)) {
                @Override
                public void upgradeTo(ChannelHandlerContext ctx, FullHttpRequest upgradeRequest) {
                    super.upgradeTo(ctx, upgradeRequest);
                    ctx.pipeline().addBefore(ctx.pipeline().context(Http2FrameCodec.class).name(),
                            PipelineNames.H2_FLUSH, Http2Windows.flushConsolidation());
                    Http2Windows.widenConnectionWindow(ctx.channel());
                    readContinuously(ctx.channel());
                    goAwayIfClosing(ctx.channel(), listener);
                }
            };
        };
        return new HttpServerUpgradeHandler(http1, h2c, MAX_UPGRADE_BODY);
    }

    /** Whether a client connection has switched to HTTP/2. */
    public static boolean isHttp2(Channel channel) {
        return channel.pipeline().get(Http2MultiplexHandler.class) != null;
    }

    /** Fires when the connection has neither read nor written for {@code read_timeout}. */
    private static IdleStateHandler newIdleCheck(ListenerContext listener) {
        return new IdleStateHandler(0, 0, listener.settings().readTimeoutNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * The last handler of an HTTP/2 client connection. A connection without streams that has been silent for
     * {@code read_timeout} is closed (GOAWAY first), as an idle HTTP/1.1 keep-alive connection is; streams keep
     * their own timeouts. Errors of the connection itself (a reset, a protocol error the codec could not answer)
     * end it with a log line.
     */
    private static final class ConnectionGuard extends ChannelInboundHandlerAdapter {
        private final long writeTimeoutNanos;
        private ScheduledFuture<?> unwritable;

        ConnectionGuard(ListenerContext listener) {
            this.writeTimeoutNanos = listener.settings().writeTimeoutNanos();
        }

        /**
         * A client that does not read what the gateway writes (replies to its PINGs and SETTINGS, responses) stops
         * being read, as HAProxy does, so that it cannot make the gateway decode its whole socket buffer and queue
         * replies it will never take; past {@code write_timeout} of that, the connection is closed. Reading
         * resumes as soon as the client takes bytes again.
         */
        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Channel connection = ctx.channel();
            if (connection.isWritable()) {
                connection.config().setAutoRead(true);
                if (unwritable != null) {
                    unwritable.cancel(false);
                    unwritable = null;
                }
            } else {
                connection.config().setAutoRead(false);
                if (unwritable == null) {
                    unwritable = ctx.executor().schedule(() -> {
                        ClientErrorLog.info(log, connection, "client={} conn={} read nothing the gateway sent for"
                                + " write_timeout; closing the HTTP/2 connection", ClientAddress.of(connection),
                                connection.id().asShortText());
                        closeNow(connection);
                    }, writeTimeoutNanos, TimeUnit.NANOSECONDS);
                }
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (unwritable != null) {
                unwritable.cancel(false);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof IdleStateEvent) {
                Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
                if (codec != null && codec.connection().numActiveStreams() == 0) {
                    log.debug("client={} idle HTTP/2 connection; closing", ClientAddress.of(ctx.channel()));
                    ctx.close();
                }
                return;
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof Http2Exception) {
                // A connection error: the codec answers it with a GOAWAY that names it (Http2ClientErrors logs it),
                // then closes. Closing here first would send a graceful GOAWAY (NO_ERROR) in its place.
                log.debug("client={} HTTP/2 protocol error: {}", ClientAddress.of(ctx.channel()), cause.toString());
                return;
            }
            if (cause instanceof IOException) {
                log.debug("client={} HTTP/2 connection error: {}", ClientAddress.of(ctx.channel()), cause.toString());
            } else {
                ClientErrorLog.info(log, ctx.channel(), "client={} conn={} HTTP/2 connection failed; closing: {}",
                        ClientAddress.of(ctx.channel()), ctx.channel().id().asShortText(), cause.toString());
            }
            ctx.close();
        }
    }

    /** After TLS: HTTP/2 when the client chose {@code h2} by ALPN, HTTP/1.1 otherwise. */
    public static final class AlpnSwitch extends ApplicationProtocolNegotiationHandler {

        private final ListenerContext listener;

        public AlpnSwitch(ListenerContext listener) {
            super(ApplicationProtocolNames.HTTP_1_1);
            this.listener = listener;
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                install(ctx.pipeline(), listener);
            }
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            // The frontend logs failed handshakes with the client's address; pass it on instead of closing here.
            ctx.fireExceptionCaught(cause);
        }
    }

    /**
     * On a cleartext listener: HTTP/2 with prior knowledge when the first bytes are the HTTP/2 connection
     * preface, HTTP/1.1 otherwise. Decides on the first byte that differs, so HTTP/1.1 requests pass at once.
     */
    public static final class PrefaceSniffer extends ByteToMessageDecoder {

        private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();

        private final ListenerContext listener;

        public PrefaceSniffer(ListenerContext listener) {
            this.listener = listener;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            int length = Math.min(in.readableBytes(), PREFACE.readableBytes());
            for (int i = 0; i < length; i++) {
                if (in.getByte(in.readerIndex() + i) != PREFACE.getByte(PREFACE.readerIndex() + i)) {
                    ctx.pipeline().remove(this);
                    return;
                }
            }
            if (length == PREFACE.readableBytes()) {
                install(ctx.pipeline(), listener);
                ctx.pipeline().remove(this);
            }
            // Otherwise a prefix of the preface so far: wait for more (the decoder asks for another read).
        }
    }
}
