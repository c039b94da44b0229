package dev.gateway.http.internal.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * An HTTP/2 stream seen as a byte stream, for a tunnel opened by extended CONNECT (RFC 8441): DATA frames in are
 * their bytes, bytes out are DATA frames. The client ending its side of the stream is the input shutting down,
 * as a FIN would be on a TCP connection, and closing sends the end of the stream first.
 */
final class Http2StreamBytes extends ChannelDuplexHandler {

    private boolean inputEnded;
    private boolean outputEnded;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2DataFrame data) {
            boolean end = data.isEndStream();
            ByteBuf content = data.content();
            if (content.isReadable()) {
                // The frame and its content are one buffer: passing the content on passes the ownership.
                ctx.fireChannelRead(content);
            } else {
                data.release();
            }
            if (end) {
                endInput(ctx);
            }
        } else {
            if (msg instanceof Http2HeadersFrame trailers && trailers.isEndStream()) {
                endInput(ctx);
            }
            ReferenceCountUtil.release(msg);
        }
    }

    private void endInput(ChannelHandlerContext ctx) {
        if (!inputEnded) {
            inputEnded = true;
            ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf bytes) {
            ctx.write(new DefaultHttp2DataFrame(bytes), promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (!outputEnded && ctx.channel().isActive()) {
            outputEnded = true;
            ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true));
        }
        ctx.close(promise);
    }
}
