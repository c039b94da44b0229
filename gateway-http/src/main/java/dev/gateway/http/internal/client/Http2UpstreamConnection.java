package dev.gateway.http.internal.client;

import dev.gateway.http.HttpSettings;
import dev.gateway.http.UpstreamEndpoint;
import dev.gateway.http.internal.codec.Http2Messages;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.VoidChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2ChannelDuplexHandler;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2FrameStreamEvent;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/2 connection to an upstream, shared by the exchanges of one event loop, and the last handler of its
 * pipeline, right after the frame codec. Its streams are plain {@link Http2UpstreamStream} objects, not channels:
 * it hands each one its frames, its writability and its close. It counts the streams it carries against the
 * upstream's limit, stops taking new ones on GOAWAY, and keeps itself honest with PINGs: a connection silent for
 * {@link HttpSettings#upstreamPingIntervalNanos()} is pinged, closed if it stays silent as long again, and closed
 * when it has carried no stream that long.
 */
final class Http2UpstreamConnection extends Http2ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(Http2UpstreamConnection.class);

    /** A stream asked for before the connection was ready. */
    private record Waiting(Http2UpstreamStream stream, Promise<Void> opened) {
    }

    private final UpstreamEndpoint endpoint;
    private final Http2Upstreams owner;
    private final Http2Messages messages;
    private ChannelHandlerContext ctx;
    private Http2Connection http2;
    private VoidChannelPromise quiet;
    private boolean ready;
    private boolean closed;
    private boolean goingAway;
    private boolean pingOutstanding;
    /** Streams open or promised; the upstream's limit counts them all. */
    private int streams;
    private long maxStreams = HttpSettings.H2_UPSTREAM_STREAMS_BEFORE_SETTINGS;
    private List<Waiting> waiting = new ArrayList<>(4);
    /** Streams the upstream knows, by id. */
    private final IntObjectMap<Http2UpstreamStream> active = new IntObjectHashMap<>();
    /** Streams that got frames in the current read, told of its end. */
    private final List<Http2UpstreamStream> inRead = new ArrayList<>();

    Http2UpstreamConnection(UpstreamEndpoint endpoint, Http2Upstreams owner) {
        this.endpoint = endpoint;
        this.owner = owner;
        this.messages = new Http2Messages(false, endpoint.tls());
    }

    UpstreamEndpoint endpoint() {
        return endpoint;
    }

    boolean takesNewStreams() {
        return !closed && !goingAway && streams < maxStreams;
    }

    void openStream(Http2UpstreamStream stream, Promise<Void> opened) {
        streams++;
        if (ready) {
            stream.open(this, newStream(), true);
            opened.trySuccess(null);
        } else {
            waiting.add(new Waiting(stream, opened));
        }
    }

    void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    // ---- for the streams --------------------------------------------------------------------------------------

    Http2Messages messages() {
        return messages;
    }

    EventExecutor executor() {
        return ctx.executor();
    }

    ChannelFuture write(Http2StreamFrame frame) {
        return ctx.write(frame);
    }

    /** Writes without a promise to complete; a failure is not fired down the pipeline, where it would end us. */
    void writeQuietly(Http2StreamFrame frame) {
        ctx.write(frame, quiet);
    }

    void flush() {
        ctx.flush();
    }

    /** A stream's first frame went out: it has an id, and the upstream's frames for it find it. */
    void register(Http2UpstreamStream stream) {
        active.put(stream.id(), stream);
    }

    /** Gives DATA the exchange has passed on back to the stream's window, which may send a WINDOW_UPDATE. */
    void consume(Http2FrameStream frameStream, int bytes) {
        Http2Stream stream = http2.stream(frameStream.id());
        if (stream == null) {
            return; // closed: the codec gave its unconsumed bytes back to the connection's window
        }
        try {
            if (http2.local().flowController().consumeBytes(stream, bytes)) {
                ctx.flush();
            }
        } catch (Http2Exception e) {
            log.debug("HTTP/2 connection to {}: window update failed: {}", endpoint, e.toString());
        }
    }

    boolean isWritable(Http2FrameStream frameStream) {
        if (!ctx.channel().isWritable()) {
            return false;
        }
        Http2Stream stream = frameStream.id() < 0 ? null : http2.stream(frameStream.id());
        return stream == null || http2.remote().flowController().isWritable(stream);
    }

    /** The stream is gone: it no longer counts against the upstream's limit. */
    void forget(Http2UpstreamStream stream) {
        if (stream.isGone()) {
            return;
        }
        stream.markGone();
        if (stream.id() > 0) {
            active.remove(stream.id());
        }
        streams--;
        if (goingAway && streams == 0) {
            close();
        }
    }

    /** The connection is usable: streams asked for meanwhile open now. */
    private void becomeReady() {
        ready = true;
        List<Waiting> queued = waiting;
        waiting = null;
        for (Waiting w : queued) {
            w.stream().open(this, newStream(), false);
            w.opened().trySuccess(null);
        }
    }

    /** The connection could not be had, or is lost: every stream asked for or open fails with {@code cause}. */
    void failed(Throwable cause) {
        closed = true;
        owner.remove(this);
        if (waiting != null) {
            List<Waiting> queued = waiting;
            waiting = null;
            for (Waiting w : queued) {
                streams--;
                w.opened().tryFailure(cause);
            }
        }
        if (!active.isEmpty()) {
            for (Http2UpstreamStream stream : new ArrayList<>(active.values())) {
                stream.inRead = false; // no end of read is coming to tell it later
                stream.lost(null);
            }
        }
    }

    // ---- the connection's events ------------------------------------------------------------------------------

    @Override
    protected void handlerAdded0(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.http2 = ctx.pipeline().get(Http2FrameCodec.class).connection();
        this.quiet = new VoidChannelPromise(ctx.channel(), false);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // Cleartext: the codec has sent the preface, and streams may open at once (prior knowledge). TLS waits
        // for the handshake, which must have agreed on h2.
        Http2Windows.widenConnectionWindow(ctx.channel());
        if (!endpoint.tls()) {
            becomeReady();
        }
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof Http2FrameStreamEvent streamEvent) {
            Http2UpstreamStream stream = active.get(streamEvent.stream().id());
            if (stream != null) {
                if (streamEvent.type() == Http2FrameStreamEvent.Type.Writability) {
                    stream.onWritabilityChanged();
                } else if (streamEvent.stream().state() == Http2Stream.State.CLOSED) {
                    stream.onClosed();
                }
            }
        } else if (event instanceof SslHandshakeCompletionEvent handshake) {
            if (!handshake.isSuccess()) {
                failed(handshake.cause());
                ctx.close();
            } else if (!ApplicationProtocolNames.HTTP_2.equals(
                    ctx.pipeline().get(SslHandler.class).applicationProtocol())) {
                failed(new SSLHandshakeException("upstream " + endpoint + " did not agree to HTTP/2 (ALPN h2)"));
                ctx.close();
            } else {
                becomeReady();
            }
        } else if (event instanceof IdleStateEvent) {
            onSilence(ctx);
        }
        ReferenceCountUtil.release(event);
    }

    private void onSilence(ChannelHandlerContext ctx) {
        if (streams == 0) {
            log.debug("closing idle HTTP/2 connection to {}", endpoint);
            ctx.close();
        } else if (pingOutstanding) {
            log.warn("upstream {} did not answer a PING; closing its HTTP/2 connection and {} streams", endpoint,
                    streams);
            ctx.close();
        } else {
            pingOutstanding = true;
            ctx.writeAndFlush(new DefaultHttp2PingFrame(System.nanoTime()), ctx.voidPromise());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        pingOutstanding = false;
        try {
            if (msg instanceof Http2StreamFrame frame && frame.stream() != null) {
                Http2UpstreamStream stream = active.get(frame.stream().id());
                if (stream != null) {
                    if (!stream.inRead) {
                        stream.inRead = true;
                        inRead.add(stream);
                    }
                    stream.onFrame(frame);
                }
            } else if (msg instanceof Http2SettingsFrame settings) {
                Long limit = settings.settings().maxConcurrentStreams();
                if (limit != null) {
                    maxStreams = limit;
                }
            } else if (msg instanceof Http2GoAwayFrame goAway) {
                // Streams already open run to their end; new ones go to another connection.
                goingAway = true;
                owner.remove(this);
                log.debug("upstream {} sent GOAWAY ({}); draining {} streams", endpoint, goAway.errorCode(),
                        streams);
                if (streams == 0) {
                    ctx.close();
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        endRead();
    }

    /** Tells the streams that got frames in this read that it is over, and those lost in it that they are. */
    private void endRead() {
        for (int i = 0; i < inRead.size(); i++) {
            Http2UpstreamStream stream = inRead.get(i);
            stream.inRead = false;
            stream.onReadComplete();
        }
        inRead.clear();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!active.isEmpty()) {
            for (Http2UpstreamStream stream : new ArrayList<>(active.values())) {
                stream.onWritabilityChanged();
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        endRead();
        failed(new ClosedChannelException());
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http2FrameStreamException streamError) {
            // One stream broke the protocol; the codec has reset it, and the connection serves on.
            Http2UpstreamStream stream = active.get(streamError.stream().id());
            if (stream != null) {
                stream.lost(streamError.getCause() != null ? streamError.getCause() : streamError);
            }
            return;
        }
        log.debug("HTTP/2 connection to {} failed: {}", endpoint, cause.toString());
        failed(cause);
        ctx.close();
    }
}
