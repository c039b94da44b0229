package dev.gateway.http.internal.codec;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.ssl.SslHandler;
import java.util.List;

/** {@link Http2Messages} as the codec of a stream channel. */
public final class Http2StreamCodec extends MessageToMessageCodec<Http2StreamFrame, HttpObject> {

    private final boolean server;
    private Http2Messages messages;

    /** @param server whether the stream is a client's, carrying requests in and responses out */
    public Http2StreamCodec(boolean server) {
        super(Http2StreamFrame.class, HttpObject.class);
        this.server = server;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        Channel connection = channel instanceof Http2StreamChannel ? channel.parent() : channel;
        messages = new Http2Messages(server, connection.pipeline().get(SslHandler.class) != null);
    }

    @Override
    public boolean acceptInboundMessage(Object msg) {
        return msg instanceof Http2HeadersFrame || msg instanceof Http2DataFrame;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, Http2StreamFrame frame, List<Object> out) throws Exception {
        messages.decode(frame, out);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, HttpObject msg, List<Object> out) {
        messages.encode(msg, out);
    }
}
