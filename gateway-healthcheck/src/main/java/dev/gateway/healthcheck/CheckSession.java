package dev.gateway.healthcheck;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One run of a check on one connection. Every method runs on the check's event loop, so the state needs no
 * locks. The order: connect, write the PROXY header (if asked), TLS handshake (if asked), then the
 * subclass's {@link #onReady}. One deadline, started before the connect, bounds the whole run; whatever
 * happens first (the outcome, a failure, the connection closing, the deadline) ends it through
 * {@link #finish}, which completes the promise once, releases what the subclass holds and closes the
 * connection.
 */
abstract class CheckSession extends ChannelInboundHandlerAdapter {

    private static final String TLS_HANDLER = "check-tls";

    /** Where a run is; the failure messages depend on it. */
    enum Phase { CONNECTING, HANDSHAKING, READY, DONE }

    final Checks.Endpoint endpoint;
    final Duration timeout;
    private final EventLoop loop;
    private final Promise<CheckResult> promise;
    private Phase phase = Phase.CONNECTING;
    private ScheduledFuture<?> deadline;
    private Channel channel;

    CheckSession(Checks.Endpoint endpoint, Duration timeout, EventLoop loop, Promise<CheckResult> promise) {
        this.endpoint = endpoint;
        this.timeout = timeout;
        this.loop = loop;
        this.promise = promise;
    }

    /** The connection is up, through TLS when asked: start the exchange. */
    abstract void onReady(ChannelHandlerContext ctx);

    /** The outcome when the deadline passes after {@link #onReady}. */
    abstract CheckResult onDeadline();

    /** The outcome when the peer closes the connection after {@link #onReady}. */
    abstract CheckResult onClosed();

    /** The outcome when the connection fails after {@link #onReady}. */
    abstract CheckResult onError(Throwable cause);

    /** Releases what the session holds; called once the outcome is known, and again when the handler goes. */
    void release() {
    }

    final Phase phase() {
        return phase;
    }

    final void start() {
        deadline = loop.schedule(this::deadlinePassed, timeout.toNanos(), TimeUnit.NANOSECONDS);
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(endpoint.channelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(this);
        if (endpoint.resolver() != null) {
            bootstrap.resolver(endpoint.resolver());
        }
        ChannelFuture connecting = bootstrap.connect(endpoint.target().host(), endpoint.target().port());
        channel = connecting.channel();
        connecting.addListener(f -> {
            if (!f.isSuccess()) {
                finish(CheckResult.failed("connect failed: " + Checks.describe(f.cause())));
            }
        });
    }

    /** Ends the run with {@code result}, unless it has ended already. */
    final void finish(CheckResult result) {
        if (phase == Phase.DONE) {
            return;
        }
        phase = Phase.DONE;
        if (deadline != null) {
            deadline.cancel(false);
        }
        release();
        promise.trySuccess(result);
        if (channel != null) {
            channel.close();
        }
    }

    private void deadlinePassed() {
        switch (phase) {
            case CONNECTING -> finish(CheckResult.failed("connect failed: timed out after " + millis()));
            case HANDSHAKING -> finish(CheckResult.failed("TLS handshake failed: timed out after " + millis()));
            case READY -> finish(onDeadline());
            case DONE -> { }
        }
    }

    /** The timeout as the failure messages write it, e.g. {@code 500 ms}. */
    final String millis() {
        return timeout.toMillis() + " ms";
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // Set here too: a connect to a local port can complete inside connect(), before start() sees it.
        channel = ctx.channel();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (phase == Phase.DONE) {
            return;
        }
        if (endpoint.proxyProtocol()) {
            // Before TLS, as the PROXY protocol specification and HAProxy's send-proxy put it.
            ctx.writeAndFlush(Checks.proxyHeaderV1(ctx.channel()))
                    .addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        }
        if (endpoint.tls() == null) {
            ready(ctx);
            return;
        }
        phase = Phase.HANDSHAKING;
        SslHandler tls = endpoint.tls().newHandler(ctx.alloc(), endpoint.target().host(),
                endpoint.target().port());
        // The run's deadline bounds the handshake; a second timer would only race it.
        tls.setHandshakeTimeoutMillis(0);
        // Added to an active channel, the handler starts the handshake at once.
        ctx.pipeline().addBefore(ctx.name(), TLS_HANDLER, tls);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent handshake && phase == Phase.HANDSHAKING) {
            if (handshake.isSuccess()) {
                ready(ctx);
            } else {
                finish(CheckResult.failed("TLS handshake failed: " + Checks.describe(handshake.cause())));
            }
        }
        ctx.fireUserEventTriggered(event);
    }

    private void ready(ChannelHandlerContext ctx) {
        phase = Phase.READY;
        onReady(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        switch (phase) {
            case CONNECTING -> finish(CheckResult.failed("connect failed: connection closed"));
            case HANDSHAKING -> finish(CheckResult.failed("TLS handshake failed: connection closed"));
            case READY -> finish(onClosed());
            case DONE -> { }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Not passed on: the outcome says what went wrong, and the tail would log it as unhandled.
        switch (phase) {
            case CONNECTING -> finish(CheckResult.failed("connect failed: " + Checks.describe(cause)));
            case HANDSHAKING -> finish(CheckResult.failed("TLS handshake failed: " + Checks.describe(cause)));
            case READY -> finish(onError(cause));
            case DONE -> { }
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }
}
