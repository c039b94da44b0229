package dev.gateway.http.internal.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * One exchange's stream on a shared HTTP/2 upstream connection: a plain object on the connection's frame codec, no
 * channel and no pipeline of its own. Frames in are read as the exchange's messages, and its messages go out as
 * frames, both without converting header blocks ({@link dev.gateway.http.internal.codec.Http2Messages}).
 *
 * <p>Flow control is end to end: the DATA the exchange was given is returned to the upstream's window only when
 * the exchange asks for more ({@link #read}), which it does while its client keeps up.
 */
final class Http2UpstreamStream implements UpstreamChannel, ChannelFutureListener {

    private Http2UpstreamConnection connection;
    private Http2FrameStream stream;
    private boolean reused;
    private UpstreamExchange owner;
    /** Bytes of DATA handed to the exchange and not yet returned to the stream's window. */
    private int unconsumed;
    private boolean localEnded;
    private boolean remoteEnded;
    /** The stream is gone: closed, reset, or never opened; its connection no longer counts it. */
    private boolean gone;
    /** The stream was lost during a read: the owner hears of it at the read's end. */
    private boolean lossPending;
    private Throwable lossCause;

    /** Binds this stream to a connection that is ready for it. */
    void open(Http2UpstreamConnection connection, Http2FrameStream stream, boolean reused) {
        this.connection = connection;
        this.stream = stream;
        this.reused = reused;
    }

    int id() {
        return stream == null ? -1 : stream.id();
    }

    // ---- the exchange's side ----------------------------------------------------------------------------------

    @Override
    public void attach(UpstreamExchange exchange) {
        owner = exchange;
    }

    @Override
    public void write(Object part) {
        if (gone) {
            ReferenceCountUtil.release(part);
            return;
        }
        boolean opening = stream.id() < 0;
        List<Object> frames = new ArrayList<>(3);
        try {
            connection.messages().encode((HttpObject) part, frames);
        } catch (RuntimeException e) {
            frames.forEach(ReferenceCountUtil::release);
            connection.executor().execute(() -> lost(e));
            return;
        } finally {
            ReferenceCountUtil.release(part);
        }
        for (int i = 0; i < frames.size(); i++) {
            Http2StreamFrame frame = ((Http2StreamFrame) frames.get(i)).stream(stream);
            localEnded |= frame instanceof Http2HeadersFrame h && h.isEndStream()
                    || frame instanceof Http2DataFrame d && d.isEndStream();
            if (opening && i == 0) {
                // Opening the stream may fail (a GOAWAY not yet read, a closed connection), and must be told.
                connection.write(frame).addListener(this);
            } else {
                // Later frames need no promise: a stream that fails them is reset or closed, which it hears of.
                connection.writeQuietly(frame);
            }
        }
        if (opening && stream.id() > 0) {
            connection.register(this);
        }
    }

    @Override
    public void flush() {
        connection.flush();
    }

    @Override
    public void read() {
        if (unconsumed > 0 && !gone) {
            int bytes = unconsumed;
            unconsumed = 0;
            connection.consume(stream, bytes);
        }
    }

    @Override
    public boolean isWritable() {
        return !gone && connection.isWritable(stream);
    }

    @Override
    public boolean isHttp2() {
        return true;
    }

    @Override
    public boolean isReused() {
        return reused;
    }

    @Override
    public void release(boolean reusable) {
        letGo();
    }

    @Override
    public void discard() {
        letGo();
    }

    /** The exchange is done with the stream; a stream still open either way is reset, so the upstream stops. */
    private void letGo() {
        owner = null;
        if (connection == null || gone) {
            return;
        }
        if (stream.id() < 0) {
            connection.forget(this); // never sent: the upstream never knew of it
        } else if (!(localEnded && remoteEnded) && stream.state() != Http2Stream.State.CLOSED) {
            connection.writeQuietly(new DefaultHttp2ResetFrame(Http2Error.CANCEL).stream(stream));
            connection.flush();
        }
    }

    @Override
    public Channel switchProtocols() {
        throw new IllegalStateException("a protocol switch goes over HTTP/1.1, never on an HTTP/2 stream");
    }

    /** A write failed: the stream is lost (the connection closed, or it met a GOAWAY before it was sent). */
    @Override
    public void operationComplete(ChannelFuture future) {
        if (!future.isSuccess()) {
            // Told from the event loop's queue: the exchange may be in the middle of the write that failed.
            connection.executor().execute(() -> lost(future.cause()));
        }
    }

    // ---- the connection's side --------------------------------------------------------------------------------

    /** A frame of this stream from the upstream; the caller releases it. */
    void onFrame(Http2StreamFrame frame) {
        if (frame instanceof Http2DataFrame data) {
            unconsumed += data.initialFlowControlledBytes();
            remoteEnded |= data.isEndStream();
        } else if (frame instanceof Http2HeadersFrame headers) {
            remoteEnded |= headers.isEndStream();
        } else {
            return; // a window update, or a reset, which the close that follows reports
        }
        UpstreamExchange exchange = owner;
        if (exchange == null) {
            return;
        }
        List<Object> messages = new ArrayList<>(2);
        try {
            connection.messages().decode(frame, messages);
        } catch (Http2Exception e) {
            messages.forEach(ReferenceCountUtil::release);
            connection.writeQuietly(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR).stream(stream));
            connection.flush();
            lost(e);
            return;
        }
        for (int i = 0; i < messages.size(); i++) {
            if (owner == exchange) {
                exchange.onUpstreamMessage(messages.get(i));
            } else {
                ReferenceCountUtil.release(messages.get(i));
            }
        }
    }

    void onReadComplete() {
        UpstreamExchange exchange = owner;
        if (exchange != null) {
            exchange.onUpstreamReadComplete();
        }
        if (lossPending) {
            lossPending = false;
            tellOwner(lossCause);
            lossCause = null;
        }
    }

    void onWritabilityChanged() {
        UpstreamExchange exchange = owner;
        if (exchange != null) {
            exchange.onUpstreamWritabilityChanged();
        }
    }

    /** The stream closed; an exchange that still owns it had not seen its response complete. */
    void onClosed() {
        lost(null);
    }

    /**
     * The stream ended or failed, or its connection did: it is forgotten, and an owner still waiting is told.
     *
     * @param cause why, or {@code null} for a close or a reset
     */
    void lost(Throwable cause) {
        if (connection != null && !gone) {
            connection.forget(this);
        }
        if (inRead && owner != null) {
            // What arrived before the close in the same read reaches the client first, as it would have over
            // separate reads: a head and some DATA, then a reset, is a response cut short, not one never begun.
            lossPending = true;
            lossCause = cause;
        } else {
            tellOwner(cause);
        }
    }

    private void tellOwner(Throwable cause) {
        UpstreamExchange exchange = owner;
        owner = null;
        if (exchange != null) {
            exchange.onUpstreamClosed(this, cause);
        }
    }

    /** Marks the stream gone; the connection's bookkeeping, called once. */
    void markGone() {
        gone = true;
    }

    boolean isGone() {
        return gone;
    }

    /** Whether frames of this stream arrived in the connection's current read; the connection's bookkeeping. */
    boolean inRead;
}
