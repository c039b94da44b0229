package dev.gateway.http.internal.client;

import dev.gateway.http.HttpSettings;
import dev.gateway.http.PipelineNames;
import dev.gateway.http.UpstreamEndpoint;
import dev.gateway.http.internal.codec.Http2StreamCodec;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/2 connection to an upstream, shared by the exchanges of one event loop, and the last handler of its
 * pipeline. It counts the streams it carries against the upstream's limit, stops taking new ones on GOAWAY, and
 * keeps itself honest with PINGs: a connection silent for {@link HttpSettings#upstreamPingIntervalNanos()} is
 * pinged, closed if it stays silent as long again, and closed when it has carried no stream that long.
 */
final class Http2UpstreamConnection extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(Http2UpstreamConnection.class);

    /** A stream asked for before the connection was ready. */
    private record Waiting(UpstreamChannel handler, Promise<Void> opened) {
    }

    private final UpstreamEndpoint endpoint;
    private final Http2Upstreams owner;
    private Channel channel;
    private boolean ready;
    private boolean closed;
    private boolean goingAway;
    private boolean pingOutstanding;
    /** Streams open or promised; the upstream's limit counts them all. */
    private int streams;
    private long maxStreams = HttpSettings.H2_UPSTREAM_STREAMS_BEFORE_SETTINGS;
    private List<Waiting> waiting = new ArrayList<>(4);

    Http2UpstreamConnection(UpstreamEndpoint endpoint, Http2Upstreams owner) {
        this.endpoint = endpoint;
        this.owner = owner;
    }

    UpstreamEndpoint endpoint() {
        return endpoint;
    }

    boolean takesNewStreams() {
        return !closed && !goingAway && streams < maxStreams;
    }

    void openStream(UpstreamChannel handler, Promise<Void> opened) {
        streams++;
        handler.onSharedConnection = ready;
        if (ready) {
            open(handler, opened);
        } else {
            waiting.add(new Waiting(handler, opened));
        }
    }

    void close() {
        if (channel != null) {
            channel.close();
        }
    }

    private void open(UpstreamChannel handler, Promise<Void> opened) {
        new Http2StreamChannelBootstrap(channel)
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        stream.pipeline().addLast(PipelineNames.H2_STREAM_CODEC,
                                new Http2StreamCodec(false));
                        stream.pipeline().addLast(PipelineNames.UPSTREAM, handler);
                    }
                })
                .open()
                .addListener(f -> {
                    if (f.isSuccess()) {
                        ((Channel) f.getNow()).closeFuture().addListener(c -> streamClosed());
                        opened.trySuccess(null);
                    } else {
                        streamClosed();
                        opened.tryFailure(f.cause());
                    }
                });
    }

    private void streamClosed() {
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
            open(w.handler(), w.opened());
        }
    }

    /** The connection could not be had: every stream asked for fails with {@code cause}. */
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
    }

    // ---- the connection's events ------------------------------------------------------------------------------

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
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
        if (event instanceof SslHandshakeCompletionEvent handshake) {
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
            if (msg instanceof Http2SettingsFrame settings) {
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
    public void channelInactive(ChannelHandlerContext ctx) {
        failed(new ClosedChannelException());
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("HTTP/2 connection to {} failed: {}", endpoint, cause.toString());
        failed(cause);
        ctx.close();
    }
}
