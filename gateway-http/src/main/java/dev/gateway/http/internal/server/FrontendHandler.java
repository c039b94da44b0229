package dev.gateway.http.internal.server;

import dev.gateway.core.net.ClientAddress;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.http.internal.exchange.ProxyExchange;
import dev.gateway.http.internal.exchange.ProxyResponseEncoder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, or one HTTP/2 stream: the connection's events go to its {@link RequestCycle}, which serves
 * the requests, and its timers are kept here. Auto-read is off; the cycle decides when to read, which is how
 * backpressure reaches the client. {@code read_timeout} (request head, body silence, idle keep-alive) and
 * {@code write_timeout} (a client that stops taking bytes) are enforced through {@link ConnectionTimeouts}.
 */
public final class FrontendHandler extends ChannelDuplexHandler implements ConnectionTimeouts.Watched {

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    private final ListenerContext listener;
    /** The HTTP/1.1 encoder; {@code null} on an HTTP/2 stream. */
    private final ProxyResponseEncoder encoder;
    /** The HTTP/1.1 request decoder; {@code null} on an HTTP/2 stream, whose heads arrive whole. */
    private final StrictRequestDecoder decoder;
    private ChannelHandlerContext ctx;
    private ConnectionTimeouts timeouts;
    private RequestCycle cycle;

    /**
     * @param encoder the connection's response encoder; {@code null} when the handler serves an HTTP/2 stream
     * @param decoder the connection's request decoder; {@code null} when the handler serves an HTTP/2 stream
     */
    public FrontendHandler(ListenerContext listener, ProxyResponseEncoder encoder, StrictRequestDecoder decoder) {
        this.listener = listener;
        this.encoder = encoder;
        this.decoder = decoder;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.timeouts = new ConnectionTimeouts(this, ctx.executor(), listener.settings(),
                decoder == null ? () -> false : decoder::headInProgress);
        this.cycle = new RequestCycle(ctx, listener, encoder, timeouts);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // Removed when the connection switches to HTTP/2: its timers must not close it later.
        timeouts.cancel();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (encoder != null && listener.draining().getAsBoolean()) {
            // Accepted while the gateway stops: the drain may have listed connections before this one. (An HTTP/2
            // stream is not refused here: its connection's GOAWAY says which streams are served, and every stream it
            // admitted is.)
            cycle.close();
            ctx.close();
            return;
        }
        timeouts.headStarts();
        ctx.read();
        if (encoder != null) {
            // A stream opens with its head, which is being read: its timer waits for a body, if one is missing.
            timeouts.rearm();
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        timeouts.read();
        if (msg instanceof HttpContent content) {
            timeouts.bodyBytes(content.content().readableBytes());
        }
        if (msg instanceof HttpObject object) {
            cycle.received(object);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (decoder != null && decoder.headInProgress() && cycle.state() == RequestCycle.State.AWAIT_HEAD) {
            timeouts.headBytesArrived();
        }
        cycle.readComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        boolean writable = ctx.channel().isWritable();
        timeouts.writabilityChanged(writable);
        if (writable) {
            cycle.clientWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (cycle.state() != RequestCycle.State.SWITCHED) {
            cycle.close();
            timeouts.cancel();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        ClientErrorLog.handshakeTimedOut(log, ctx.channel(), event);
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ClientConnectionErrors.report(ctx, cause);
        ctx.close();
    }

    /** The gateway is stopping: close now when idle, otherwise after the current exchange. */
    public void drain() {
        if (cycle.isIdle()) {
            cycle.close();
            ctx.close();
        }
    }

    // ---- timeouts (ConnectionTimeouts.Watched) ----------------------------------------------------------------

    @Override
    public ConnectionTimeouts.Wait waitingFor() {
        return cycle.waitingFor();
    }

    @Override
    public ProxyExchange exchange() {
        return cycle.exchange();
    }

    @Override
    public boolean isClosed() {
        return cycle.state() == RequestCycle.State.CLOSED;
    }

    @Override
    public void bodyTimedOut(String why) {
        if (cycle.bodyTimedOut(why)) {
            return;
        }
        log.debug("client={} request body {}; closing", ClientAddress.of(ctx.channel()), why);
        cycle.close();
        ctx.close();
    }

    @Override
    public void readTimedOut(ConnectionTimeouts.Wait what) {
        if (what == ConnectionTimeouts.Wait.HEAD && decoder != null && decoder.headInProgress()) {
            ClientErrorLog.info(log, ctx.channel(), "client={} conn={} sent part of a request head and not the rest"
                    + " in time; 408", ClientAddress.of(ctx.channel()), ctx.channel().id().asShortText());
            cycle.headTimedOut(timeouts.headBytesNanos());
            return;
        }
        log.debug("client={} sent no complete request within read_timeout; closing", ClientAddress.of(ctx.channel()));
        cycle.close();
        ctx.close();
    }

    @Override
    public void writeTimedOut() {
        log.info("client={} accepted no data for write_timeout; closing", ClientAddress.of(ctx.channel()));
        cycle.close();
        ctx.close();
    }
}
