package dev.gateway.http.internal.exchange;

import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.exchange.ExchangeRecord;
import dev.gateway.core.lb.Target;
import dev.gateway.core.net.ClientAddress;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.Route;
import dev.gateway.http.UpstreamEndpoint;
import dev.gateway.http.internal.client.UpstreamChannel;
import dev.gateway.http.internal.client.UpstreamExchange;
import dev.gateway.http.internal.client.UpstreamPool;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request and its response, streamed between a client connection and an upstream connection. Everything
 * runs on the client's event loop, which is also the upstream connection's.
 *
 * <p>Reads are demand-driven on both sides: the client is read while the upstream can take more, the upstream
 * while the client can. Bytes therefore never pile up in the gateway beyond the water marks.
 *
 * <p>The request half is {@link UpstreamRequest}, the response half {@link ClientResponse}; this class keeps what
 * spans both: the upstream connection and its one retry, the end of the exchange, its failures, timeout and report.
 */
public final class ProxyExchange implements UpstreamExchange, ClientResponse.Exchange {

    /** The outcome of an exchange the client left before its end. */
    static final String CLIENT_CLOSED = "CLIENT_CLOSED";

    /** An HTTP/2 stream's requests arrive in HTTP/1.1 form; reports name the protocol the client spoke. */
    public static final String HTTP_2 = "HTTP/2.0";

    private static final Logger log = LoggerFactory.getLogger(ProxyExchange.class);

    private final ExchangeClient frontend;
    private final ExchangeSettings settings;
    private final ChannelHandlerContext client;
    private final UpstreamPool pool;
    private final Route route;
    private final Target target;
    private final UpstreamEndpoint endpoint;
    private final HttpRequest request;
    /** The request as the route's filters saw it, with what they chose for it; {@code null} without filters. */
    private final FilteredRequest filtered;
    /** How long the upstream may take to answer: a filter's hard timeout, or {@code proxy_default_timeout}. */
    private final long headWaitNanos;
    /** The target and version the client sent, for logs; the request itself is rewritten for the upstream. */
    private final String clientUri;
    private final HttpVersion clientVersion;
    /** A call of a protocol over HTTP (gRPC): HTTP/2 to the upstream, and no silence timeout once answered. */
    private final boolean rpc;
    private final long startNanos = System.nanoTime();

    private UpstreamChannel upstream;
    /** The request half: the request on its way to the upstream. */
    private final UpstreamRequest toUpstream;

    /** The response half: how the upstream's response reaches the client. */
    private final ClientResponse toClient;
    private boolean responseReceived;

    private long lastUpstreamReadNanos;
    private boolean done;
    /** The response is an event stream and the listener was told it opened: its end must be told, however it ends. */
    private boolean streamOpen;

    /**
     * @param switching the request asks to switch protocols, and the gateway carries that protocol
     * @param extendedConnect the switch was asked for by HTTP/2 extended CONNECT, now rewritten as an upgrade
     * @param filtered the request as the route's filters saw it; {@code null} when the route has none
     */
    public ProxyExchange(ExchangeClient frontend, ChannelHandlerContext client, UpstreamPool pool, Route route,
            Target target, HttpRequest request, FilteredRequest filtered, boolean keepAlive, ExchangeSettings settings,
            boolean switching, boolean extendedConnect) {
        this.frontend = frontend;
        this.settings = settings;
        this.client = client;
        this.pool = pool;
        this.route = route;
        this.target = target;
        this.rpc = settings.rules().isRpc(request);
        // An upgrade is an HTTP/1.1 mechanism: h2c:// and proxy_enable_http2 targets are asked over HTTP/1.1.
        this.endpoint = switching ? route.endpoint(target, false).overHttp1() : route.endpoint(target, rpc);
        this.request = request;
        this.filtered = filtered;
        this.headWaitNanos = filtered != null && filtered.responseWaitNanos() > 0 ? filtered.responseWaitNanos()
                : settings.proxyTimeoutNanos();
        this.clientUri = request.uri();
        this.clientVersion = request.protocolVersion();
        this.toUpstream = new UpstreamRequest(request, bodyLimit(settings.maxBodySize(), filtered));
        // A switch's answer is one object more, only for the requests that ask for one.
        this.toClient = new ClientResponse(this, client, frontend.encoder(), route, request, filtered, keepAlive, settings,
                rpc,
                switching ? new SwitchingResponse(client, settings.switches(), extendedConnect) : null);
    }

    /** The smaller of the listener's body limit and a filter's, 0 meaning none. */
    private static long bodyLimit(long listener, FilteredRequest filtered) {
        long own = filtered == null ? 0 : filtered.bodyLimit();
        return listener == 0 || own == 0 ? Math.max(listener, own) : Math.min(listener, own);
    }

    public Route route() {
        return route;
    }

    // ---- starting ---------------------------------------------------------------------------------------------

    public void start() {
        frontend.watchUpstream(startNanos + headWaitNanos);
        UpstreamChannel pooled = pool.poll(endpoint);
        if (pooled != null) {
            attach(pooled);
        } else {
            connect();
        }
    }

    private void connect() {
        UpstreamChannel connection = pool.newConnection(endpoint);
        pool.connect(endpoint, connection).addListener(f -> {
            if (done) {
                if (f.isSuccess()) {
                    connection.discard();
                }
            } else if (f.isSuccess()) {
                attach(connection);
            } else {
                fail(UpstreamFailures.ofConnect(f.cause()), f.cause());
            }
        });
    }

    private void attach(UpstreamChannel connection) {
        upstream = connection;
        connection.attach(this);
        if (toUpstream.attach(connection)) {
            // Attached while the client's read is still being decoded: the end of that read writes the head,
            // unless the rest of the request comes first.
            frontend.upstreamWritePending();
        }
        connection.read();
        frontend.requestDemandChanged();
    }

    // ---- request body, client to upstream ---------------------------------------------------------------------

    /** True while more of the request body is wanted and the upstream can take it. */
    public boolean wantsRequestBody() {
        return !done && !toUpstream.complete() && upstream != null && upstream.isWritable();
    }

    public boolean isRequestComplete() {
        return toUpstream.complete();
    }

    /** Takes ownership of one request part. */
    public void onRequestContent(HttpContent part) {
        if (done) {
            part.release();
        } else if (!toUpstream.add(part)) {
            // The smaller limit tripped: a filter's (size_limits) speaks Tyk's words, the listener's its own.
            boolean own = filtered != null && filtered.bodyLimit() > 0
                    && (settings.maxBodySize() == 0 || filtered.bodyLimit() < settings.maxBodySize());
            fail(own ? ProxyFailure.REQUEST_TOO_LARGE : ProxyFailure.BODY_TOO_LARGE, null);
        }
    }

    /** End of a client read: push what was written to the upstream. */
    public void flushRequest() {
        if (!done) {
            toUpstream.flush();
        }
    }

    @Override
    public void onUpstreamWritabilityChanged() {
        frontend.requestDemandChanged();
    }

    // ---- response, upstream to client -------------------------------------------------------------------------

    @Override
    public void onUpstreamMessage(Object msg) {
        if (done) {
            ReferenceCountUtil.release(msg);
            return;
        }
        lastUpstreamReadNanos = System.nanoTime();
        toClient.read(msg);
    }

    /** For the response half: the upstream answered, and its response is read on as the client takes it. */
    @Override
    public void responseStarted() {
        responseReceived = true;
        if (toClient.eventStream()) {
            // stream_idle_timeout may be shorter than proxy_default_timeout, whose check is the one scheduled.
            frontend.watchUpstream(lastUpstreamReadNanos + settings.streamIdleNanos());
            streamOpen = true;
            settings.exchanges().onOpen(ExchangeRecord.Kind.EVENT_STREAM, route.apiId());
        }
    }

    /** For the response half: the 101 is complete, and both connections leave HTTP for the protocol switch. */
    @Override
    public void switchComplete() {
        done = true;
        toClient.cancelFlush();
        UpstreamChannel connection = upstream;
        upstream = null;
        ended(toClient.status(), null);
        frontend.switchProtocols(connection.switchProtocols(), route, target, clientUri);
    }

    @Override
    public void onUpstreamReadComplete() {
        if (done) {
            return;
        }
        toClient.readComplete();
        if (client.channel().isWritable()) {
            upstream.read();
        }
    }

    /** The client can take more: read on from the upstream. */
    public void onClientWritable() {
        if (!done && upstream != null && responseReceived) {
            upstream.read();
        }
    }

    /** For the response half: the whole response went to the client. */
    @Override
    public void responseComplete() {
        done = true;
        toClient.cancelFlush();
        client.flush();
        UpstreamChannel connection = upstream;
        upstream = null;
        // An upstream that answered before the whole request was sent still expects the rest of it.
        connection.release(toClient.upstreamReusable() && toUpstream.sent() && !settings.closeConnections());
        ended(toClient.status(), null);
        frontend.exchangeFinished(toClient.keepAlive() && toUpstream.complete());
    }

    /** The end of this exchange, as the client saw it, for the route's filters and the listener. */
    private void ended(int status, ProxyFailure failure) {
        if (filtered != null) {
            filtered.end(status, toClient.rpcStatus(), failure);
        }
        report(status, failure);
    }

    /** The one report of this exchange's end: an event stream's as {@code EVENT_STREAM}, matching its open. */
    private void report(int status, ProxyFailure failure) {
        report(status, failure == null ? "" : failure.name());
    }

    private void report(int status, String outcome) {
        ExchangeListener exchanges = settings.exchanges();
        if (exchanges == ExchangeListener.NONE) {
            return;
        }
        exchanges.onEnd(new ExchangeRecord(streamOpen ? ExchangeRecord.Kind.EVENT_STREAM
                : ExchangeRecord.Kind.PROXIED, client.channel().id().asShortText(),
                ClientAddress.of(client.channel()), route.apiId(), request.method().name(), clientUri,
                frontend.encoder() == null ? HTTP_2 : clientVersion.text(), status, toClient.rpcStatus(),
                target.raw(), toUpstream.bytes(), toClient.bytes(), System.nanoTime() - startNanos, outcome));
    }

    // ---- failures ---------------------------------------------------------------------------------------------

    /** The upstream connection closed or failed before the response was complete. */
    @Override
    public void onUpstreamClosed(UpstreamChannel connection, Throwable cause) {
        if (done || connection != upstream) {
            return;
        }
        if (!responseReceived && toUpstream.retryAfter(connection)) {
            // A pooled connection the upstream had already given up on: nothing was processed, send it again.
            upstream = null;
            log.debug("api={} client={} pooled connection to {} was dead; retrying once", route.apiId(),
                    ClientAddress.of(client.channel()), endpoint);
            connect();
            return;
        }
        fail(cause == null ? ProxyFailure.UPSTREAM_RESET : UpstreamFailures.of(cause), cause);
    }

    /** The client went away: cancel the upstream request. */
    public void cancel() {
        if (!finish()) {
            return;
        }
        if (filtered != null) {
            filtered.end(0, -1, null);
        }
        // Reported as every end is: an event stream as ended (a client leaving is how one usually ends), any other
        // exchange as CLIENT_CLOSED (nginx's 499), with the status the client had been sent, 0 when none.
        report(toClient.status(), streamOpen ? "" : CLIENT_CLOSED);
        log.debug("api={} client={} closed the connection before the response was complete", route.apiId(),
                ClientAddress.of(client.channel()));
    }

    /** Ends the exchange and lets go of everything it holds; false when it had ended already. */
    private boolean finish() {
        if (done) {
            return false;
        }
        done = true;
        toClient.cancelFlush();
        toUpstream.release();
        if (upstream != null) {
            upstream.discard();
            upstream = null;
        }
        return true;
    }

    /**
     * Ends the exchange with a failure: a JSON error when nothing was sent to the client yet, otherwise a closed
     * client connection, the only way HTTP/1.1 can say that a response broke off.
     */
    @Override
    public void fail(ProxyFailure failure, Throwable cause) {
        if (done) {
            return;
        }
        // A head that never left still lets the client be told properly.
        boolean responseStarted = toClient.abandon();
        finish();
        String reason = cause == null ? failure.message() : failure.message() + ": " + UpstreamFailures.describe(cause);
        if (failure.status().code() >= 500) {
            log.warn("api={} client={} conn={} upstream={} {} {}: {}", route.apiId(),
                    ClientAddress.of(client.channel()), client.channel().id().asShortText(), target, request.method(),
                    clientUri, reason);
        } else {
            log.info("api={} client={} conn={} {} {}: {}", route.apiId(), ClientAddress.of(client.channel()),
                    client.channel().id().asShortText(), request.method(), clientUri, reason);
        }
        ended(responseStarted ? toClient.status() : failure.status().code(), failure);
        if (responseStarted) {
            frontend.abortResponse(failure);
        } else {
            frontend.answerError(failure, toClient.keepAlive() && toUpstream.complete());
        }
    }

    /**
     * When the upstream will have been silent for too long, as of {@code now}; the frontend's timer asks, and
     * calls {@link #fail} when the moment has passed. Time spent waiting on the client never counts.
     */
    public long upstreamDeadline(long now) {
        long proxyTimeoutNanos = settings.proxyTimeoutNanos();
        long deadline;
        if (!responseReceived) {
            if (upstream == null) {
                deadline = startNanos + headWaitNanos;
            } else if (!toUpstream.sent() && upstream.isWritable()) {
                // The upstream takes the body as fast as it comes: an upload slower than proxy_default_timeout is
                // not the upstream's fault, and a client that stops sending is read_timeout's business.
                deadline = now + headWaitNanos;
            } else {
                // The upstream's time to answer runs from the end of the request, or from when it stopped taking
                // the body.
                deadline = toUpstream.lastWriteNanos() + headWaitNanos;
            }
        } else if (rpc || !client.channel().isWritable()) {
            // Waiting on a slow client is the write timeout's business, not the upstream's; a call's stream may
            // rest between messages for as long as its own deadline allows.
            deadline = now + proxyTimeoutNanos;
        } else {
            // An event stream rests between events for as long as the stream idle timeout allows.
            deadline = lastUpstreamReadNanos
                    + (toClient.eventStream() ? settings.streamIdleNanos() : proxyTimeoutNanos);
        }
        return deadline;
    }

    /** The failure when {@link #upstreamDeadline} has passed: an event stream only ever rests too long. */
    public ProxyFailure timeoutFailure() {
        if (responseReceived) {
            return toClient.eventStream() ? ProxyFailure.STREAM_IDLE : ProxyFailure.UPSTREAM_TIMEOUT;
        }
        return filtered != null && filtered.responseWaitNanos() > 0 ? ProxyFailure.HARD_TIMEOUT
                : ProxyFailure.UPSTREAM_TIMEOUT;
    }
}
