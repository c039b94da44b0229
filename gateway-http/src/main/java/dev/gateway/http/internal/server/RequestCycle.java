package dev.gateway.http.internal.server;

import dev.gateway.core.lb.Target;
import dev.gateway.core.net.ClientAddress;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProtocolSwitch;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.Route;
import dev.gateway.http.internal.exchange.ExchangeClient;
import dev.gateway.http.internal.exchange.ExchangeStarter;
import dev.gateway.http.internal.exchange.FilterRun;
import dev.gateway.http.internal.exchange.LocalResponses;
import dev.gateway.http.internal.exchange.ProxyExchange;
import dev.gateway.http.internal.exchange.ProxyResponseEncoder;
import dev.gateway.http.internal.exchange.RequestTarget;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request cycle of one client connection, or of one HTTP/2 stream: each request is admitted, run through its
 * route's filters, then answered locally or handed to a {@link ProxyExchange}, one at a time; pipelined requests
 * wait in order. This is the exchange's {@link ExchangeClient}. The connection itself (reads, timers, errors) is
 * {@link FrontendHandler}'s.
 */
final class RequestCycle implements ExchangeClient {

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    /** Where the connection is in its request cycle. */
    enum State {
        /** Waiting for, or reading, a request head. */
        AWAIT_HEAD,
        /**
         * The route's request filters, or a local service, are deciding on the current request; nothing is read
         * meanwhile.
         */
        DECIDING,
        /** Reading the body of a request for one of the gateway's own endpoints ({@link LocalCall}). */
        LOCAL_BODY,
        /** An exchange owns the current request. */
        PROXYING,
        /** Answered locally; reading and dropping the rest of the request body. */
        DISCARDING_BODY,
        /** Closing: everything read is dropped. */
        CLOSED,
        /** The connection switched protocols: its handler is on its way out. */
        SWITCHED
    }

    private final ChannelHandlerContext ctx;
    private final ListenerContext listener;
    /** The HTTP/1.1 encoder; {@code null} on an HTTP/2 stream, whose codec needs no HEAD hint. */
    private final ProxyResponseEncoder encoder;
    /** This cycle serves one HTTP/2 stream: one request, and the stream ends with its response. */
    private final boolean http2Stream;
    private final ConnectionTimeouts timeouts;
    private final ClientAnswers answers;
    private final ExchangeStarter starter;
    private final RequestBacklog backlog = new RequestBacklog();

    private State state = State.AWAIT_HEAD;
    /** The filter run or local call the current request waits for, in {@link State#DECIDING}. */
    private Object deciding;
    /** The current request is for a local service, whose body is read in {@link State#LOCAL_BODY}. */
    private LocalCall local;
    /** The current request as its route's filters see it; {@code null} when the route has none. */
    private FilteredRequest filtered;
    /** When the current request's head arrived. */
    private long headNanos;
    private ProxyExchange exchange;
    private boolean keepAlive;
    /** The request being served, as the client sent it, for the shape of error answers. */
    private HttpRequest request;
    /** The current request is HEAD: local answers to it carry headers only. */
    private boolean headRequest;
    private boolean requestComplete;
    private boolean wroteToUpstream;
    /** The client's address as text, formatted once per connection for logs and X-Forwarded-For. */
    private String clientIp;
    private final ExchangeStarter.Refusal refusal =
            (failure, route) -> refuse(failure, keepAlive, route, EmptyHttpHeaders.INSTANCE);

    RequestCycle(ChannelHandlerContext ctx, ListenerContext listener, ProxyResponseEncoder encoder,
            ConnectionTimeouts timeouts) {
        this.ctx = ctx;
        this.listener = listener;
        this.encoder = encoder;
        this.http2Stream = encoder == null;
        this.timeouts = timeouts;
        this.answers = new ClientAnswers(ctx, listener, encoder);
        this.starter = new ExchangeStarter(this, ctx, listener.pools().of(ctx.channel().eventLoop()),
                listener.exchangeSettings(), listener.scheme());
    }

    State state() {
        return state;
    }

    ProxyExchange exchange() {
        return exchange;
    }

    /** True when nothing is in progress or waiting: a stopping gateway may close the connection now. */
    boolean isIdle() {
        return state == State.AWAIT_HEAD && backlog.isEmpty();
    }

    @Override
    public ProxyResponseEncoder encoder() {
        return encoder;
    }

    // ---- requests in --------------------------------------------------------------------------------------------

    /** A part of a request from the client's codec, which this cycle now owns. */
    void received(HttpObject msg) {
        if (state == State.CLOSED) {
            ReferenceCountUtil.release(msg);
        } else if (state == State.DECIDING || requestComplete && state != State.AWAIT_HEAD) {
            backlog.add(msg);
        } else {
            handle(msg);
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
        if (msg instanceof HttpRequest head) {
            onRequestHead(head);
        }
        if (msg instanceof HttpContent part) {
            onRequestContent(part);
        }
    }

    private void onRequestHead(HttpRequest head) {
        headNanos = System.nanoTime();
        requestComplete = false;
        this.request = head;
        headRequest = head.method().equals(HttpMethod.HEAD);
        // An HTTP/2 stream carries one exchange: its end closes the stream, never the connection.
        keepAlive = !http2Stream && HttpUtil.isKeepAlive(head) && !listener.settings().closeConnections();
        RequestAdmission.Verdict verdict = listener.admission().admit(head, ctx.channel(), http2Stream);
        if (verdict instanceof RequestAdmission.Routed routed) {
            Route route = routed.route();
            if (route.filters().isEmpty() && route.responseFilters().isEmpty()) {
                proceed(route, routed.target(), routed.extendedConnect());
                return;
            }
            filtered = new FilteredRequest(head, route, ClientAddress.of(ctx.channel()),
                    ctx.channel().id().asShortText(), routed.target().path(), routed.target().query(),
                    listener.scheme().equals("https") ? ClientTls.session(ctx.channel()) : null);
            if (route.filters().isEmpty()) {
                proceed(route, routed.target(), routed.extendedConnect());
            } else {
                decide(routed.target(), routed.extendedConnect());
            }
        } else if (verdict instanceof RequestAdmission.Refused refused) {
            refuse(refused.failure(), refused.keepAlive(), null, EmptyHttpHeaders.INSTANCE);
        } else if (verdict instanceof RequestAdmission.LocalAsked asked) {
            local = new LocalCall(asked.service(), head, asked.target());
            state = State.LOCAL_BODY;
        }
    }

    /** The current request goes through its route's filters before it may {@link #proceed}. */
    private void decide(RequestTarget target, boolean extendedConnect) {
        state = State.DECIDING;
        FilterRun run = FilterWait.start(this, ctx, listener.settings().proxyTimeoutNanos(), filtered, target,
                extendedConnect);
        // Filters that decided at once ran decided() inside start(): the cycle has moved on, and holding the run
        // would keep its request alive while the connection idles. Only a run still deciding is waited for.
        if (state == State.DECIDING && deciding == null) {
            deciding = run;
        }
    }

    /** The local request's body is read: its service is asked, and the cycle waits for the answer. */
    private void askLocal() {
        LocalCall call = local;
        local = null;
        state = State.DECIDING;
        deciding = call;
        call.ask(ctx.channel()).thenAccept(answer -> ctx.executor().execute(() -> {
            if (deciding == call && state == State.DECIDING) {
                decided(() -> answerOwn(LocalResponses.answer(ctx.alloc(), answer, keepAlive), null, null));
            }
        }));
    }

    /** Whether this cycle still waits for {@code run}; false once it closed or moved on. */
    boolean waitsFor(FilterRun run) {
        return deciding == run && state == State.DECIDING;
    }

    /**
     * The filters decided: the request proceeds or is answered, and the parts of its body that arrived meanwhile
     * follow, then reading resumes.
     */
    void decided(Runnable outcome) {
        deciding = null;
        outcome.run();
        HttpContent part;
        while ((state == State.PROXYING || state == State.DISCARDING_BODY)
                && (part = backlog.pollBodyPart()) != null) {
            onRequestContent(part);
            if (part instanceof LastHttpContent) {
                break;
            }
        }
        flushUpstreamWrites();
        requestDemandChanged();
    }

    /** The current request passed its checks and filters: to an upstream, unless it is refused at the start. */
    void proceed(Route route, RequestTarget target, boolean extendedConnect) {
        ProxyExchange opened = starter.open(route, target, request, filtered, keepAlive, extendedConnect,
                clientIp(), refusal);
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
            case LOCAL_BODY -> {
                if (!local.add(part)) {
                    local = null;
                    refuse(ProxyFailure.REQUEST_TOO_LARGE, false, null, EmptyHttpHeaders.INSTANCE);
                } else if (last) {
                    askLocal();
                }
            }
            case DISCARDING_BODY -> {
                part.release();
                if (last) {
                    if (http2Stream) {
                        state = State.CLOSED; // the stream carried its one exchange
                    } else {
                        nextRequest();
                    }
                }
            }
            // A request that came whole (HTTP/2): its body waits with the decision.
            case DECIDING -> backlog.add(part);
            default -> part.release();
        }
    }

    /** The end of a client read: what went to the upstream is flushed, and reading goes on if wanted. */
    void readComplete() {
        flushUpstreamWrites();
        if (http2Stream && !requestComplete) {
            timeouts.rearm();
        }
        requestDemandChanged();
    }

    private void flushUpstreamWrites() {
        if (wroteToUpstream) {
            wroteToUpstream = false;
            if (exchange != null) {
                exchange.flushRequest();
            }
        }
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
            case AWAIT_HEAD, DISCARDING_BODY, LOCAL_BODY -> backlog.isEmpty();
            case PROXYING -> exchange != null && exchange.wantsRequestBody();
            case DECIDING, CLOSED, SWITCHED -> false;
        };
        if (wants) {
            ctx.read();
        }
        timeouts.bodyWait(waitingFor() == ConnectionTimeouts.Wait.BODY);
    }

    /** What the connection waits for from its client, for {@code read_timeout}. */
    ConnectionTimeouts.Wait waitingFor() {
        if (state == State.AWAIT_HEAD) {
            return ConnectionTimeouts.Wait.HEAD;
        }
        if (state == State.DISCARDING_BODY || state == State.LOCAL_BODY || (state == State.PROXYING && exchange != null
                && !exchange.isRequestComplete() && exchange.wantsRequestBody())) {
            return ConnectionTimeouts.Wait.BODY;
        }
        return ConnectionTimeouts.Wait.NOTHING;
    }

    private void nextRequest() {
        state = State.AWAIT_HEAD;
        requestComplete = false;
        // Served: a keep-alive connection may now idle for read_timeout, and must not keep the request's head and
        // headers alive meanwhile (about 700 B for a small GET with forwarding headers, times every idle client).
        request = null;
        filtered = null;
        timeouts.headStarts();
        HttpObject queued;
        while (state == State.AWAIT_HEAD && (queued = backlog.poll()) != null) {
            handle(queued);
        }
        // Parts of a request whose exchange started from the backlog are handled in order.
        while (!backlog.isEmpty() && !(requestComplete && state != State.AWAIT_HEAD) && state != State.CLOSED) {
            handle(backlog.poll());
        }
        // Body parts handed on from the backlog are not followed by a client read, whose end would flush them.
        flushUpstreamWrites();
        timeouts.rearm();
        requestDemandChanged();
    }

    // ---- answers ------------------------------------------------------------------------------------------------

    /** A local answer; the rest of the request body is read and dropped, then the connection goes on. */
    private void answerLocally(FullHttpResponse response) {
        if (answers.write(response, keepAlive, headRequest, requestComplete)) {
            if (http2Stream && !requestComplete) {
                // The stream is reset a moment after the answer (ClientAnswers). Until then what the client sends is
                // read and dropped, also when the answer came from an upstream's callback rather than from a read:
                // a frame left waiting in the stream's queue outlives a gateway that stops meanwhile.
                state = State.DISCARDING_BODY;
                requestDemandChanged();
            } else {
                state = State.CLOSED;
            }
            return;
        }
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
        answerLocally(answers.error(request, failure, this.keepAlive));
    }

    /**
     * As {@link #answerError}, for a request the gateway refuses before any exchange, its end reported here; with a
     * filter's headers in the answer, if any.
     */
    private void refuse(ProxyFailure failure, boolean keepAlive, Route route, HttpHeaders headers) {
        refuse(failure, failure.message(), keepAlive, route, headers);
    }

    /** As {@link #refuse(ProxyFailure, boolean, Route, HttpHeaders)}, in {@code message}'s words. */
    private void refuse(ProxyFailure failure, String message, boolean keepAlive, Route route, HttpHeaders headers) {
        exchange = null;
        this.keepAlive = keepAlive && this.keepAlive;
        answerOwn(LocalResponses.withHeaders(answers.error(request, failure, message, this.keepAlive), headers),
                route, failure);
    }

    /** A filter refused the current request, or answered it itself. */
    void stop(FilterDecision decision, Route route) {
        if (decision.answer() == null) {
            refuse(decision.refusal(), decision.message(), keepAlive, route, decision.headers());
            return;
        }
        exchange = null;
        answerOwn(LocalResponses.answer(ctx.alloc(), decision.answer(), keepAlive), route, null);
    }

    /** Answers the current request without an upstream, and reports the end of that exchange. */
    private void answerOwn(FullHttpResponse response, Route route, ProxyFailure failure) {
        if (filtered != null) {
            filtered.end(response.status().code(), listener.rules().rpcStatus(response.headers()), failure);
        }
        answers.report(request, response, route, failure, headNanos);
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
        // The response said whether the connection stays: it read the stop's flag as its head went out, and said
        // Connection: close then. A stop that began during its body must not close a connection the client was
        // told it may reuse, since the client's next request may already be on its way, and a close under it reads
        // as a failure: that request gets Connection: close instead. Only the drain, listeners closed, closes it now.
        if (!keepAlive || listener.draining().getAsBoolean()) {
            state = State.CLOSED;
            answers.closeAfterWrites();
            return;
        }
        nextRequest();
    }

    @Override
    public void abortResponse(ProxyFailure failure) {
        exchange = null;
        state = State.CLOSED;
        answers.abort(request, failure);
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
        ProtocolHandoff.handOver(ctx, listener, backlog, http2Stream,
                new ProtocolSwitch.Switched(ctx.channel(), upstream, route.apiId(), clientIp(), uri, target.raw()));
    }

    // ---- the connection's events --------------------------------------------------------------------------------

    @Override
    public void watchUpstream(long deadline) {
        timeouts.watchUpstream(deadline);
    }

    void clientWritable() {
        if (exchange != null) {
            exchange.onClientWritable();
        }
    }

    /** The request body went silent or came too slowly: the exchange fails with 408; false when none was reading it. */
    boolean bodyTimedOut(String why) {
        if (state == State.LOCAL_BODY) {
            ClientErrorLog.info(log, ctx.channel(), "client={} conn={} request body for {} {}; 408",
                    ClientAddress.of(ctx.channel()), ctx.channel().id().asShortText(), request.uri(), why);
            local = null;
            refuse(ProxyFailure.CLIENT_TIMEOUT, false, null, EmptyHttpHeaders.INSTANCE);
            return true;
        }
        if (state != State.PROXYING || exchange == null) {
            return false;
        }
        ClientErrorLog.info(log, ctx.channel(), "client={} conn={} api={} request body {}; 408",
                ClientAddress.of(ctx.channel()), ctx.channel().id().asShortText(), exchange.route().apiId(), why);
        exchange.fail(ProxyFailure.CLIENT_TIMEOUT, null);
        return true;
    }

    /**
     * Part of a request head came and not the rest within {@code read_header_timeout} (or {@code read_timeout}):
     * 408, reported as an exchange answered locally, and the connection closes.
     */
    void headTimedOut(long headBytesNanos) {
        state = State.CLOSED;
        answers.headTimedOut(headBytesNanos < 0 ? System.nanoTime() : headBytesNanos);
    }

    /** The connection closes, or has closed: the exchange is cancelled and everything held is let go. */
    void close() {
        state = State.CLOSED;
        deciding = null; // a decision that comes now finds no one waiting
        local = null;
        if (exchange != null) {
            exchange.cancel();
            exchange = null;
        }
        if (filtered != null) {
            filtered.end(0, -1, null); // told already by the exchange, if one ended
        }
        backlog.releaseAll();
    }

    /**
     * The client's IP as text, formatted on first use: by then a PROXY protocol header, when the port takes one,
     * has named the real client.
     */
    private String clientIp() {
        if (clientIp == null) {
            clientIp = ClientAddress.ip(ctx.channel());
        }
        return clientIp;
    }
}
