package dev.gateway.http.internal.server;

import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.exchange.ExchangeRecord;
import dev.gateway.core.lb.Target;
import dev.gateway.core.net.ClientAddress;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProtocolSwitch;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.Route;
import dev.gateway.http.internal.client.UpstreamPool;
import dev.gateway.http.internal.exchange.ExchangeClient;
import dev.gateway.http.internal.exchange.ExchangeStarter;
import dev.gateway.http.internal.exchange.FilterRun;
import dev.gateway.http.internal.exchange.LocalResponses;
import dev.gateway.http.internal.exchange.ProxyExchange;
import dev.gateway.http.internal.exchange.ProxyResponseEncoder;
import dev.gateway.http.internal.exchange.RequestTarget;
import dev.gateway.http.internal.exchange.Switchover;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: it checks and routes each request, answers locally when it must, and hands the rest to
 * a {@link ProxyExchange}, one at a time. Auto-read is off; this handler decides when to read, which is how
 * backpressure reaches the client. It also enforces {@code read_timeout} (request head, body silence, idle
 * keep-alive) and {@code write_timeout} (a client that stops taking bytes) through {@link ConnectionTimeouts}.
 */
public final class FrontendHandler extends ChannelDuplexHandler
        implements ConnectionTimeouts.Watched, ExchangeClient {

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    /** Where the connection is in its request cycle. */
    private enum State {
        /** Waiting for, or reading, a request head. */
        AWAIT_HEAD,
        /** The route's request filters are deciding on the current request; nothing is read meanwhile. */
        DECIDING,
        /** An exchange owns the current request. */
        PROXYING,
        /** Answered locally; reading and dropping the rest of the request body. */
        DISCARDING_BODY,
        /** Closing: everything read is dropped. */
        CLOSED,
        /** The connection switched protocols: this handler is on its way out. */
        SWITCHED
    }

    private final ListenerContext listener;
    /** The HTTP/1.1 encoder; {@code null} on an HTTP/2 stream, whose codec needs no HEAD hint. */
    private final ProxyResponseEncoder encoder;
    /** This handler serves one HTTP/2 stream: one request, and the stream ends with its response. */
    private final boolean http2Stream;
    private ChannelHandlerContext ctx;
    private UpstreamPool pool;

    private State state = State.AWAIT_HEAD;
    /** The filter run the current request waits for, in {@link State#DECIDING}. */
    private FilterRun deciding;
    /** When the current request's head arrived. */
    private long headNanos;
    private ProxyExchange exchange;
    private boolean keepAlive;
    /** The request being served, as the client sent it, for the shape of error answers. */
    private HttpRequest request;
    /** The current request is HEAD: local answers to it carry headers only. */
    private boolean headRequest;
    private boolean requestComplete;
    /** Parts of pipelined requests that arrived while an earlier one was still being answered. */
    private ArrayDeque<HttpObject> backlog;
    private boolean wroteToUpstream;

    private ConnectionTimeouts timeouts;
    private ExchangeStarter starter;
    private final ExchangeStarter.Refusal refusal = (failure, route) -> refuse(failure, keepAlive, route);
    /** The client's address as text, formatted once per connection for logs and X-Forwarded-For. */
    private String clientIp;

    /**
     * @param encoder the connection's response encoder; {@code null} when the handler serves an HTTP/2 stream
     */
    public FrontendHandler(ListenerContext listener, ProxyResponseEncoder encoder) {
        this.listener = listener;
        this.encoder = encoder;
        this.http2Stream = encoder == null;
    }

    @Override
    public ProxyResponseEncoder encoder() {
        return encoder;
    }





    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.pool = listener.pools().of(ctx.channel().eventLoop());
        this.starter = new ExchangeStarter(this, ctx, pool, listener.exchangeSettings(), listener.scheme());
        this.timeouts = new ConnectionTimeouts(this, ctx.executor(), listener.settings().readTimeoutNanos(),
                listener.settings().writeTimeoutNanos());
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // Removed when the connection switches to HTTP/2: its timers must not close it later.
        timeouts.cancel();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (listener.draining().getAsBoolean()) {
            // Accepted while the gateway stops: the drain may have listed connections before this one.
            state = State.CLOSED;
            ctx.close();
            return;
        }
        timeouts.headStarts();
        ctx.read();
        if (!http2Stream) {
            // A stream opens with its head, which is being read: its timer waits for a body, if one is missing.
            timeouts.rearm();
        }
        ctx.fireChannelActive();
    }

    // ---- inbound ----------------------------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        timeouts.read();
        if (!(msg instanceof HttpObject object)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (state == State.CLOSED) {
            ReferenceCountUtil.release(msg);
        } else if (state == State.DECIDING || requestComplete && state != State.AWAIT_HEAD) {
            if (backlog == null) {
                backlog = new ArrayDeque<>(4);
            }
            backlog.add(object);
        } else {
            handle(object);
        }
    }

    private void handle(HttpObject msg) {
        if (msg instanceof FullHttpRequest whole && whole.decoderResult().isSuccess()) {
            // An HTTP/2 request that ends with its headers arrives whole; an exchange works on a head and parts.
            onRequestHead(new DefaultHttpRequest(whole.protocolVersion(), whole.method(), whole.uri(),
                    whole.headers()));
            onRequestContent(new DefaultLastHttpContent(whole.content(), whole.trailingHeaders()));
            return;
        }
        if (msg instanceof HttpRequest request) {
            onRequestHead(request);
        }
        if (msg instanceof HttpContent part) {
            onRequestContent(part);
        }
    }

    private void onRequestHead(HttpRequest request) {
        headNanos = System.nanoTime();
        requestComplete = false;
        this.request = request;
        headRequest = request.method().equals(HttpMethod.HEAD);
        // An HTTP/2 stream carries one exchange: its end closes the stream, never the connection.
        keepAlive = !http2Stream && HttpUtil.isKeepAlive(request) && !listener.settings().closeConnections();
        RequestAdmission.Verdict verdict = listener.admission().admit(request, ctx.channel(), http2Stream);
        if (verdict instanceof RequestAdmission.Routed routed) {
            if (routed.route().filters().isEmpty()) {
                proceed(routed.route(), routed.target(), routed.extendedConnect());
            } else {
                decide(routed.route(), routed.target(), routed.extendedConnect());
            }
        } else if (verdict instanceof RequestAdmission.Refused refused) {
            refuse(refused.failure(), refused.keepAlive(), null);
        } else if (verdict instanceof RequestAdmission.StatusAsked asked) {
            answerOwn(LocalResponses.json(ctx.alloc(), HttpResponseStatus.OK, asked.status().body().get(), keepAlive),
                    null, null);
        }
    }

    /** The current request goes through its route's filters before it may {@link #proceed}. */
    private void decide(Route route, RequestTarget target, boolean extendedConnect) {
        state = State.DECIDING;
        FilteredRequest filtered = new FilteredRequest(request, route, ClientAddress.of(ctx.channel()),
                ctx.channel().id().asShortText());
        deciding = new FilterRun(route.filters(), filtered, ctx.executor(), listener.settings().proxyTimeoutNanos(),
                new FilterRun.Ending() {
                    @Override
                    public boolean waitsFor(FilterRun run) {
                        return deciding == run && state == State.DECIDING;
                    }

                    @Override
                    public void proceed() {
                        decided(() -> FrontendHandler.this.proceed(route, target, extendedConnect));
                    }

                    @Override
                    public void stop(FilterDecision decision) {
                        decided(() -> FrontendHandler.this.stop(decision, route));
                    }
                });
        deciding.start();
    }

    /**
     * The filters decided: the request proceeds or is answered, and the parts of its body that arrived meanwhile
     * follow, then reading resumes.
     */
    private void decided(Runnable outcome) {
        deciding = null;
        outcome.run();
        while (backlog != null && (state == State.PROXYING || state == State.DISCARDING_BODY)
                && backlog.peek() instanceof HttpContent part && !(part instanceof HttpRequest)) {
            backlog.poll();
            onRequestContent(part);
            if (part instanceof LastHttpContent) {
                break;
            }
        }
        if (wroteToUpstream) {
            wroteToUpstream = false;
            if (exchange != null) {
                exchange.flushRequest();
            }
        }
        requestDemandChanged();
    }

    /** The current request passed its checks and filters: to an upstream, unless it is refused at the start. */
    private void proceed(Route route, RequestTarget target, boolean extendedConnect) {
        ProxyExchange opened = starter.open(route, target, request, keepAlive, extendedConnect, clientIp(),
                refusal);
        if (opened == null) {
            return;
        }
        state = State.PROXYING;
        exchange = opened;
        opened.start();
        if (extendedConnect) {
            // The stream itself is the tunnel: the upgrade request ends with its head, and what the client sends
            // next waits for the switch.
            onRequestContent(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    /**
     * The upstream answered the current request with {@code 101} and the answer is written: this connection leaves
     * HTTP, and both it and {@code upstream} go to the protocol switch.
     */
    @Override
    public void switchProtocols(Channel upstream, Route route, Target target, String uri) {
        state = State.SWITCHED;
        exchange = null;
        timeouts.cancel();
        Channel client = ctx.channel();
        Switchover.clientToBytes(client, this, http2Stream);
        if (!passBacklog(upstream)) {
            log.info("api={} client={} sent data before the switch of protocols was answered; closing",
                    route.apiId(), ClientAddress.of(client));
            client.close();
            upstream.close();
            return;
        }
        client.flush();
        listener.switches().switched(new ProtocolSwitch.Switched(client, upstream, route.apiId(), clientIp(), uri,
                target.raw()));
    }

    /**
     * What arrived after the request and before the switch goes on to the upstream: an HTTP/2 stream's DATA, as
     * bytes. On HTTP/1.1 the decoder has read such bytes as a request, which a client that waits for the switch
     * (as RFC 6455 requires) never sends.
     *
     * @return false when the backlog holds what cannot be passed on
     */
    private boolean passBacklog(Channel upstream) {
        boolean usable = true;
        HttpObject queued;
        while (backlog != null && (queued = backlog.poll()) != null) {
            if (usable && http2Stream && queued instanceof HttpContent part && !(queued instanceof HttpRequest)) {
                upstream.write(part.content().retain(), upstream.voidPromise());
            } else {
                usable = false;
            }
            ReferenceCountUtil.release(queued);
        }
        return usable;
    }

    private void onRequestContent(HttpContent part) {
        boolean last = part instanceof LastHttpContent;
        if (last) {
            requestComplete = true;
        }
        if (part.decoderResult().isFailure() && state != State.CLOSED) {
            part.release();
            ClientErrorLog.info(log, ctx.channel(), "client={} malformed request body: {}",
                    ClientAddress.of(ctx.channel()), part.decoderResult().cause().getMessage());
            if (state == State.PROXYING) {
                exchange.fail(ProxyFailure.BAD_REQUEST, null);
            } else {
                answerError(ProxyFailure.BAD_REQUEST, false);
            }
            return;
        }
        switch (state) {
            case PROXYING -> {
                exchange.onRequestContent(part);
                wroteToUpstream = true;
            }
            case DISCARDING_BODY -> {
                part.release();
                if (last) {
                    nextRequest();
                }
            }
            case DECIDING -> {
                // A request that came whole (HTTP/2): its body waits with the decision.
                if (backlog == null) {
                    backlog = new ArrayDeque<>(4);
                }
                backlog.add(part);
            }
            default -> part.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (wroteToUpstream) {
            wroteToUpstream = false;
            if (exchange != null) {
                exchange.flushRequest();
            }
        }
        if (http2Stream && !requestComplete) {
            timeouts.rearm();
        }
        requestDemandChanged();
    }

    /** The exchange has something for the upstream that the end of this read must flush. */
    @Override
    public void upstreamWritePending() {
        wroteToUpstream = true;
    }

    /** Reads from the client when the current state wants bytes. */
    @Override
    public void requestDemandChanged() {
        boolean wants = switch (state) {
            case AWAIT_HEAD, DISCARDING_BODY -> backlog == null || backlog.isEmpty();
            case PROXYING -> exchange != null && exchange.wantsRequestBody();
            case DECIDING, CLOSED, SWITCHED -> false;
        };
        if (wants) {
            ctx.read();
        }
    }

    // ---- answers ----------------------------------------------------------------------------------------------

    /** A local answer; the rest of the request body is read and dropped, then the connection goes on. */
    private void answerLocally(FullHttpResponse response) {
        boolean close = !keepAlive || !HttpUtil.isKeepAlive(response) || listener.draining().getAsBoolean();
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        // A JSON body after a HEAD answer would be read as the start of the next response.
        if (encoder != null) {
            encoder.answeringHead(headRequest);
        }
        if (close) {
            state = State.CLOSED;
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.writeAndFlush(response, ctx.voidPromise());
        state = State.DISCARDING_BODY;
        if (requestComplete) {
            nextRequest();
        }
    }

    /**
     * A JSON error (or a protocol's own, such as a gRPC status) for the current request of an exchange, which
     * reports its end itself; closes the connection unless {@code keepAlive}.
     */
    @Override
    public void answerError(ProxyFailure failure, boolean keepAlive) {
        exchange = null;
        this.keepAlive = keepAlive && this.keepAlive;
        answerLocally(errorReply(failure));
    }

    /** As {@link #answerError}, for a request the gateway refuses before any exchange: its end is reported here. */
    private void refuse(ProxyFailure failure, boolean keepAlive, Route route) {
        refuse(failure, keepAlive, route, EmptyHttpHeaders.INSTANCE);
    }

    /** As {@link #refuse(ProxyFailure, boolean, Route)}, with a filter's headers in the answer. */
    private void refuse(ProxyFailure failure, boolean keepAlive, Route route, HttpHeaders headers) {
        exchange = null;
        this.keepAlive = keepAlive && this.keepAlive;
        answerOwn(LocalResponses.withHeaders(errorReply(failure), headers), route, failure);
    }

    /** A filter refused the current request, or answered it itself. */
    private void stop(FilterDecision decision, Route route) {
        if (decision.answer() == null) {
            refuse(decision.refusal(), keepAlive, route, decision.headers());
            return;
        }
        exchange = null;
        answerOwn(LocalResponses.answer(ctx.alloc(), decision.answer(), keepAlive), route, null);
    }

    private FullHttpResponse errorReply(ProxyFailure failure) {
        FullHttpResponse reply = request == null ? null : listener.rules().reply(request, failure, ctx.alloc());
        return reply != null ? reply : LocalResponses.error(ctx.alloc(), failure, this.keepAlive);
    }

    /** Answers the current request without an upstream, and reports the end of that exchange: the one place. */
    private void answerOwn(FullHttpResponse response, Route route, ProxyFailure failure) {
        if (listener.exchanges() != ExchangeListener.NONE) {
            listener.exchanges().onEnd(new ExchangeRecord(ExchangeRecord.Kind.LOCAL, ctx.channel().id().asShortText(),
                    ClientAddress.of(ctx.channel()), route == null ? "" : route.apiId(),
                    request == null ? "" : request.method().name(), request == null ? "" : request.uri(),
                    request == null ? "" : http2Stream ? ProxyExchange.HTTP_2 : request.protocolVersion().text(),
                    response.status().code(), listener.rules().rpcStatus(response.headers()), "", 0,
                    response.content().readableBytes(),
                    System.nanoTime() - headNanos, failure == null ? "" : failure.name()));
        }
        answerLocally(response);
    }

    /** The exchange sent its whole response. */
    @Override
    public void exchangeFinished(boolean keepAlive) {
        exchange = null;
        if (http2Stream) {
            // The stream ended with the response's last frame, already flushed: the stream channel goes. (An empty
            // buffer written first, as on a connection, is no frame: the stream channel failed it, with an exception.)
            state = State.CLOSED;
            ctx.close();
            return;
        }
        if (!keepAlive || listener.draining().getAsBoolean()) {
            state = State.CLOSED;
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        nextRequest();
    }

    /**
     * The response broke off midway. On HTTP/2 the stream may still end with trailers that say why (gRPC's
     * status); otherwise the stream is reset, or the HTTP/1.1 connection closed, the only signal it has.
     */
    @Override
    public void abortResponse(ProxyFailure failure) {
        exchange = null;
        state = State.CLOSED;
        HttpHeaders trailers = http2Stream && request != null ? listener.rules().abortTrailers(request, failure)
                : null;
        if (trailers != null) {
            LastHttpContent end = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
            end.trailingHeaders().set(trailers);
            ctx.writeAndFlush(end).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (http2Stream) {
            // What was written goes out in a write of its own before the reset: a client may drop DATA that arrives
            // with the RST_STREAM (the JDK's does), and the connection's flushes are consolidated. An empty DATA
            // frame carries the flush; the reset follows once it has reached the socket.
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.EMPTY_BUFFER)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        // What the upstream sent before it broke off may still wait for the end of its read to be flushed (the
        // same read can bring the last bytes and the reset); a close alone would drop it.
        ctx.flush();
        ctx.close();
    }

    private void nextRequest() {
        state = State.AWAIT_HEAD;
        requestComplete = false;
        timeouts.headStarts();
        HttpObject queued;
        while (backlog != null && state == State.AWAIT_HEAD && (queued = backlog.poll()) != null) {
            handle(queued);
        }
        // Parts of a request whose exchange started from the backlog are handled in order.
        while (backlog != null && !backlog.isEmpty() && !(requestComplete && state != State.AWAIT_HEAD)
                && state != State.CLOSED) {
            handle(backlog.poll());
        }
        // Body parts handed on from the backlog are not followed by a client read, whose end would flush them.
        if (wroteToUpstream) {
            wroteToUpstream = false;
            if (exchange != null) {
                exchange.flushRequest();
            }
        }
        timeouts.rearm();
        requestDemandChanged();
    }

    /** The gateway is stopping: close now when idle, otherwise after the current exchange. */
    public void drain() {
        if (state == State.AWAIT_HEAD && (backlog == null || backlog.isEmpty())) {
            state = State.CLOSED;
            ctx.close();
        }
    }

    // ---- outbound and lifecycle -------------------------------------------------------------------------------

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        boolean writable = ctx.channel().isWritable();
        timeouts.writabilityChanged(writable);
        if (writable && exchange != null) {
            exchange.onClientWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (state == State.SWITCHED) {
            ctx.fireChannelInactive();
            return;
        }
        state = State.CLOSED;
        deciding = null; // a decision that comes now finds no one waiting
        if (exchange != null) {
            exchange.cancel();
            exchange = null;
        }
        timeouts.cancel();
        if (backlog != null) {
            backlog.forEach(ReferenceCountUtil::release);
            backlog.clear();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The TLS stage fails with the SSLException wrapped; the ALPN stage hands it on unwrapped.
        Throwable tls = cause instanceof DecoderException && cause.getCause() instanceof SSLException
                ? cause.getCause() : cause;
        if (tls instanceof SSLException) {
            SslHandler handshake = ctx.pipeline().get(SslHandler.class);
            ClientErrorLog.info(log, ctx.channel(), "client={} TLS {} on port {}: {}", ClientAddress.of(ctx.channel()),
                    handshake == null || !handshake.handshakeFuture().isSuccess() ? "handshake failed" : "failed",
                    ClientAddress.localPort(ctx.channel()), tls.getMessage());
        } else if (cause instanceof IOException) {
            log.debug("client={} connection error: {}", ClientAddress.of(ctx.channel()), cause.toString());
        } else if (cause instanceof DecoderException && cause.getCause() instanceof Http2Exception malformed) {
            // A request the stream codec refused (a line break in a field value, a host against :authority):
            // routine bad input, one line; closing the stream resets it.
            ClientErrorLog.info(log, ctx.channel(), "client={} conn={} malformed HTTP/2 request: {}",
                    ClientAddress.of(ctx.channel()), ctx.channel().id().asShortText(), malformed.getMessage());
        } else {
            ClientErrorLog.warn(log, ctx.channel(), "client={} unexpected error; closing the connection",
                    ClientAddress.of(ctx.channel()), cause);
        }
        ctx.close();
    }

    /**
     * The client's IP as text, formatted on first use: by then a PROXY protocol header, when the port takes one,
     * has named the real client.
     */
    String clientIp() {
        if (clientIp == null) {
            clientIp = ClientAddress.ip(ctx.channel());
        }
        return clientIp;
    }

    /** Makes sure the upstream timeout is checked at {@code deadline} or earlier. */
    @Override
    public void watchUpstream(long deadline) {
        timeouts.watchUpstream(deadline);
    }

    // ---- timeouts (ConnectionTimeouts.Watched) ----------------------------------------------------------------

    @Override
    public ConnectionTimeouts.Wait waitingFor() {
        if (state == State.AWAIT_HEAD) {
            return ConnectionTimeouts.Wait.HEAD;
        }
        if (state == State.DISCARDING_BODY || (state == State.PROXYING && exchange != null
                && !exchange.isRequestComplete() && exchange.wantsRequestBody())) {
            return ConnectionTimeouts.Wait.BODY;
        }
        return ConnectionTimeouts.Wait.NOTHING;
    }

    @Override
    public ProxyExchange exchange() {
        return exchange;
    }

    @Override
    public boolean isClosed() {
        return state == State.CLOSED;
    }

    @Override
    public void readTimedOut(ConnectionTimeouts.Wait what) {
        if (what == ConnectionTimeouts.Wait.BODY && state == State.PROXYING && exchange != null) {
            log.info("client={} stopped sending the request body; read_timeout", ClientAddress.of(ctx.channel()));
            exchange.fail(ProxyFailure.CLIENT_TIMEOUT, null);
            return;
        }
        log.debug("client={} sent no complete request within read_timeout; closing", ClientAddress.of(ctx.channel()));
        abortAndClose();
    }

    @Override
    public void writeTimedOut() {
        log.info("client={} accepted no data for write_timeout; closing", ClientAddress.of(ctx.channel()));
        abortAndClose();
    }

    private void abortAndClose() {
        if (exchange != null) {
            exchange.cancel();
            exchange = null;
        }
        state = State.CLOSED;
        ctx.close();
    }
}
