package dev.gateway.http.internal.server;

import dev.gateway.core.net.ClientAddress;
import dev.gateway.core.net.ClientErrorLog;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Between an HTTP/2 client connection's frame codec and its streams: what the client did wrong, answered at the
 * level of the connection.
 *
 * <p><b>A stream the client broke</b> (a WINDOW_UPDATE of 0, DATA after it ended the stream, and so on) is reset
 * here, with the error's own code, and logged in one rate-limited line. Netty's codec would hand the error to the
 * stream's channel instead, whose close resets the stream with {@code CANCEL}; the codec's bound on the resets it
 * sends leaves {@code CANCEL} out, so a client could have the gateway reset stream after stream without end, each
 * one freed from {@code SETTINGS_MAX_CONCURRENT_STREAMS} while its exchange was still being torn down
 * (MadeYouReset, CVE-2025-8671). Reset with its real code, every such stream counts, and past
 * {@link dev.gateway.http.HttpSettings#H2_MAX_RESETS_PER_WINDOW} the codec answers GOAWAY
 * {@code ENHANCE_YOUR_CALM} and closes the connection.
 *
 * <p><b>Every GOAWAY with an error</b> that the codec sends (that one, a connection-level protocol error, the
 * bound on resets the client sends) is logged here, once per connection, naming the connection and the client.
 */
final class Http2ClientErrors extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(Http2ClientErrors.class);

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
        codec.connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onGoAwaySent(int lastStreamId, long errorCode, ByteBuf debugData) {
                if (errorCode != Http2Error.NO_ERROR.code()) {
                    // Not lastStreamId: for a hard shutdown Netty sends 2^31-1 there.
                    ClientErrorLog.info(log, ctx.channel(), "client={} conn={} HTTP/2 GOAWAY {} at stream {}: {}",
                            ClientAddress.of(ctx.channel()), ctx.channel().id().asShortText(), name(errorCode),
                            codec.connection().remote().lastStreamCreated(),
                            debugData.toString(StandardCharsets.UTF_8));
                }
            }
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http2FrameStreamException broken) {
            ClientErrorLog.info(log, ctx.channel(), "client={} conn={} HTTP/2 stream {} reset with {}: {}",
                    ClientAddress.of(ctx.channel()), ctx.channel().id().asShortText(), broken.stream().id(),
                    broken.error(), broken.getMessage());
            // Through the codec: it resets and closes the stream, whose channel then closes and ends its exchange.
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(broken.error()).stream(broken.stream()))
                    .addListener(future -> {
                        if (!future.isSuccess()) {
                            log.debug("client={} could not reset HTTP/2 stream {}: {}", ClientAddress.of(ctx.channel()),
                                    broken.stream().id(), future.cause().toString());
                        }
                    });
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    static String name(long errorCode) {
        Http2Error error = Http2Error.valueOf(errorCode);
        return error == null ? "0x" + Long.toHexString(errorCode) : error.name();
    }
}
