package dev.gateway.http.internal.exchange;

import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProtocolRules;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.Route;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The response half of an exchange: the upstream's response as it goes to the client. It sorts what the upstream
 * sends (interim answers stop here, a {@code 101} goes out through the {@link SwitchingResponse}), lets the route's
 * response filters see the head and the trailers, rewrites the head for the client's connection (hop-by-hop
 * headers, framing, {@code Connection}, version) and decides when bytes are flushed ({@code flush_interval}, event
 * streams). It keeps what the exchange's report says the client got.
 *
 * <p>Sorting lives here, not in a class of its own, so that an exchange still allocates only its two halves; what
 * changes the exchange's course goes back through {@link Exchange}.
 */
final class ClientResponse {

    /** What the response tells the exchange it belongs to. Each call comes from inside {@link #read}. */
    interface Exchange {

        /** The upstream answered (a {@code 101} included): from now on its response is read as the client takes it. */
        void responseStarted();

        /** The last part of the response went to the client. */
        void responseComplete();

        /** The {@code 101} went to the client and is complete: both connections leave HTTP. */
        void switchComplete();

        /** The response cannot go on: the upstream broke HTTP, or a response filter threw. */
        void fail(ProxyFailure failure, Throwable cause);
    }

    private final Exchange exchange;
    private final ChannelHandlerContext client;
    private final ProxyResponseEncoder encoder;
    private final Route route;
    /** The request as the route's filters saw it, which its response filters see; {@code null} without filters. */
    private final FilteredRequest filtered;
    private final ExchangeSettings settings;
    /** The rules of the protocol over HTTP (gRPC) that the call speaks, whose status the report names; or null. */
    private final ProtocolRules rpcRules;
    /** The answer to a request that asked to switch protocols; {@code null} for any other. */
    private final SwitchingResponse switching;
    private final boolean head;
    private final boolean clientHttp10;

    private boolean keepAlive;
    private boolean started;
    /** An interim answer (100 Continue and friends) is being read: it goes no further. */
    private boolean skippingInterim;
    private boolean upstreamReusable;
    /**
     * The head, held until the first body part or the end of the read: when the whole body arrives in the same
     * read, head and body go out as one message, which the encoder writes as one buffer (one {@code send}
     * instead of a two-part {@code writev}).
     */
    private HttpResponse heldHead;
    private boolean flushEachRead;
    /** A {@code text/event-stream}: long-lived, flushed event by event, with the stream idle timeout. */
    private boolean eventStream;
    private boolean unflushed;
    private ScheduledFuture<?> flushTask;
    private int status;
    /** The protocol's own status the client was sent (gRPC's), from the response head or its trailers; -1 none. */
    private int rpcStatus = -1;
    private long bytes;

    /**
     * @param request the request as the client sent it, not yet rewritten for the upstream
     * @param filtered the request as the route's filters saw it; {@code null} when the route has none
     * @param rpc the request is a call of the protocol over HTTP that {@code settings} has rules for
     * @param switching the answer to a request that asked to switch protocols, or {@code null}
     */
    ClientResponse(Exchange exchange, ChannelHandlerContext client, ProxyResponseEncoder encoder, Route route,
            HttpRequest request, FilteredRequest filtered, boolean keepAlive, ExchangeSettings settings, boolean rpc,
            SwitchingResponse switching) {
        this.exchange = exchange;
        this.client = client;
        this.encoder = encoder;
        this.route = route;
        this.filtered = filtered;
        this.keepAlive = keepAlive;
        this.settings = settings;
        this.rpcRules = rpc ? settings.rules() : null;
        this.switching = switching;
        this.head = request.method().equals(HttpMethod.HEAD);
        this.clientHttp10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
    }

    // ---- what the upstream sends ------------------------------------------------------------------------------

    /** Takes one message of the upstream's response (a head, a body part, or both in one), which it now owns. */
    void read(Object msg) {
        if (msg instanceof HttpResponse response && !readHead(response)) {
            return;
        }
        if (msg instanceof HttpContent part) {
            readContent(part);
        }
    }

    /** False when the head failed the exchange; the message, body included, is released. */
    private boolean readHead(HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            ReferenceCountUtil.release(response);
            exchange.fail(ProxyFailure.UPSTREAM_PROTOCOL, response.decoderResult().cause());
            return false;
        }
        int code = response.status().code();
        if (code == 101) {
            if (switching == null) {
                ReferenceCountUtil.release(response);
                exchange.fail(ProxyFailure.UPSTREAM_PROTOCOL, new IllegalStateException("101 to a request that "
                        + "asked for no protocol switch"));
                return false;
            }
            exchange.responseStarted();
            status = switching.answer(response);
        } else if (code >= 100 && code < 200) {
            // 100 Continue and friends: the gateway answers Expect itself, so these go no further.
            skippingInterim = true;
        } else {
            if (!route.responseFilters().isEmpty() && !filter(response, null)) {
                ReferenceCountUtil.release(response); // a whole response's body goes no further either
                return false;
            }
            if (rpcRules != null) {
                rpcStatus = rpcRules.rpcStatus(response.headers()); // a Trailers-Only answer
            }
            upstreamReusable = start(response, settings.closing().getAsBoolean());
            exchange.responseStarted();
        }
        return true;
    }

    private void readContent(HttpContent part) {
        if (switching != null && switching.answered()) {
            if (switching.ends(part)) {
                exchange.switchComplete();
            }
            return;
        }
        if (skippingInterim) {
            if (part instanceof LastHttpContent) {
                skippingInterim = false;
            }
            part.release();
            return;
        }
        if (part.decoderResult().isFailure()) {
            part.release();
            exchange.fail(ProxyFailure.UPSTREAM_PROTOCOL, part.decoderResult().cause());
            return;
        }
        if (part instanceof LastHttpContent end) {
            if (!route.responseFilters().isEmpty() && !end.trailingHeaders().isEmpty()
                    && !filter(null, end.trailingHeaders())) {
                part.release();
                return;
            }
            if (rpcRules != null && !end.trailingHeaders().isEmpty()) {
                int trailerStatus = rpcRules.rpcStatus(end.trailingHeaders());
                rpcStatus = trailerStatus >= 0 ? trailerStatus : rpcStatus;
            }
        }
        if (write(part)) {
            exchange.responseComplete();
        }
    }

    /** Runs the route's response filters; false when one threw, which failed the exchange. */
    private boolean filter(HttpResponse upstreamHead, HttpHeaders trailers) {
        RuntimeException broken = ResponseChain.run(route, filtered, upstreamHead, trailers);
        if (broken != null) {
            exchange.fail(ProxyFailure.FILTER_FAILED, broken);
        }
        return broken == null;
    }

    // ---- what the client gets ---------------------------------------------------------------------------------

    /**
     * Takes the upstream's response head and rewrites it for the client.
     *
     * @param closeAfter the client connection must close after this response (the gateway is stopping)
     * @return whether the upstream connection can carry another request after this response
     */
    private boolean start(HttpResponse response, boolean closeAfter) {
        status = response.status().code();
        HttpHeaders headers = response.headers();
        boolean bodyless = head || status == 204 || status == 304;
        boolean hasLength = headers.contains(HttpHeaderNames.CONTENT_LENGTH);
        boolean chunked = HttpUtil.isTransferEncodingChunked(response);
        // A body that ends when the upstream closes cannot leave the connection reusable.
        boolean reusable = HttpUtil.isKeepAlive(response) && (bodyless || hasLength || chunked);
        String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE);
        eventStream = contentType != null && contentType.regionMatches(true, 0, "text/event-stream", 0, 17);
        flushEachRead = settings.flushIntervalNanos() == 0 || !hasLength || eventStream;

        HeaderRewriter.stripHopByHop(headers);
        if (closeAfter) {
            keepAlive = false;
        }
        // An HTTP/2 stream frames the body and ends itself: no connection or framing fields go to its client.
        if (encoder != null) {
            keepAlive = HeaderRewriter.frameForHttp1(response, bodyless, hasLength, clientHttp10, keepAlive);
            encoder.answeringHead(head);
        }
        heldHead = response;
        started = true;
        return reusable;
    }

    /**
     * Writes one body part; the write owns it from here.
     *
     * @return true when it was the last part
     */
    private boolean write(HttpContent part) {
        bytes += part.content().readableBytes();
        if (heldHead != null && part instanceof LastHttpContent last) {
            // The whole response is here: one message, the body's buffer now owned by it.
            HttpResponse response = heldHead;
            heldHead = null;
            client.write(new DefaultFullHttpResponse(response.protocolVersion(), response.status(), last.content(),
                    response.headers(), last.trailingHeaders()), client.voidPromise());
            unflushed = true;
            return true;
        }
        writeHeldHead();
        client.write(part, client.voidPromise());
        unflushed = true;
        return part instanceof LastHttpContent;
    }

    /** The end of an upstream read: what was written goes out now, or at the next flush interval. */
    void readComplete() {
        writeHeldHead();
        if (!unflushed) {
            return;
        }
        // Unflushed bytes count against the client's water marks. Once they alone make it unwritable, waiting
        // for the interval would stall the upstream too and cap throughput at one high-water mark per interval;
        // flush now, as a full write buffer would (Go's flush interval never slows a transfer).
        if (flushEachRead || !client.channel().isWritable()) {
            flush();
        } else if (flushTask == null) {
            flushTask = client.executor().schedule(this::flush, settings.flushIntervalNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** Flushes whatever is pending; the flush interval's task. */
    private void flush() {
        flushTask = null;
        if (unflushed) {
            unflushed = false;
            client.flush();
        }
    }

    /**
     * Forgets a head that never left, so the client can still get an error instead of a cut connection.
     *
     * @return whether anything of the response reached the client's pipeline
     */
    boolean abandon() {
        cancelFlush();
        if (heldHead != null) {
            heldHead = null;
            started = false;
        }
        return started;
    }

    void cancelFlush() {
        if (flushTask != null) {
            flushTask.cancel(false);
            flushTask = null;
        }
    }

    private void writeHeldHead() {
        if (heldHead != null) {
            client.write(heldHead, client.voidPromise());
            heldHead = null;
            unflushed = true;
        }
    }

    // ---- what the exchange asks -------------------------------------------------------------------------------

    boolean eventStream() {
        return eventStream;
    }

    /** Whether the client connection stays open after this response. */
    boolean keepAlive() {
        return keepAlive;
    }

    /** Whether the upstream connection can carry another request once this response is complete. */
    boolean upstreamReusable() {
        return upstreamReusable;
    }

    /** The status the client was sent: the upstream's, or the {@code 101} (or 200) of a protocol switch. */
    int status() {
        return status;
    }

    /** The protocol's own status the client was sent (gRPC's); -1 when none. */
    int rpcStatus() {
        return rpcStatus;
    }

    long bytes() {
        return bytes;
    }
}
