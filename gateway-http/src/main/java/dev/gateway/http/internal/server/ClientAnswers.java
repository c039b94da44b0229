package dev.gateway.http.internal.server;

import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.exchange.ExchangeRecord;
import dev.gateway.core.net.ClientAddress;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.Route;
import dev.gateway.http.internal.exchange.LocalResponses;
import dev.gateway.http.internal.exchange.ProxyExchange;
import dev.gateway.http.internal.exchange.ProxyResponseEncoder;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import java.util.concurrent.TimeUnit;

/**
 * What the gateway itself writes to one client connection, or HTTP/2 stream: its own answers and their
 * end-of-exchange report, the close after a connection's last exchange, and the signal that a response broke off.
 * It keeps no state of the request cycle; {@link RequestCycle} decides, this writes.
 */
final class ClientAnswers {

    /**
     * How long an HTTP/2 stream whose upstream broke off waits, after its last DATA reached the socket, before it is
     * reset: long enough that the reset comes in another read of the client's than the DATA before it.
     */
    static final long RESET_LINGER_MILLIS = 50;

    private final ChannelHandlerContext ctx;
    private final ListenerContext listener;
    /** The HTTP/1.1 encoder; {@code null} on an HTTP/2 stream. */
    private final ProxyResponseEncoder encoder;

    ClientAnswers(ChannelHandlerContext ctx, ListenerContext listener, ProxyResponseEncoder encoder) {
        this.ctx = ctx;
        this.listener = listener;
        this.encoder = encoder;
    }

    /** The answer to {@code request} for {@code failure}: its protocol's own (a gRPC status), or a JSON error. */
    FullHttpResponse error(HttpRequest request, ProxyFailure failure, boolean keepAlive) {
        return error(request, failure, failure.message(), keepAlive);
    }

    /** As {@link #error(HttpRequest, ProxyFailure, boolean)}, in {@code message}'s words. */
    FullHttpResponse error(HttpRequest request, ProxyFailure failure, String message, boolean keepAlive) {
        FullHttpResponse reply = request == null ? null
                : listener.rules().reply(request, failure, message, ctx.alloc());
        return reply != null ? reply : LocalResponses.error(ctx.alloc(), failure, message, keepAlive);
    }

    /** Reports the end of an exchange the gateway answered itself: the one place such a report is made. */
    void report(HttpRequest request, FullHttpResponse response, Route route, ProxyFailure failure, long headNanos) {
        if (listener.exchanges() == ExchangeListener.NONE) {
            return;
        }
        listener.exchanges().onEnd(new ExchangeRecord(ExchangeRecord.Kind.LOCAL, ctx.channel().id().asShortText(),
                ClientAddress.of(ctx.channel()), route == null ? "" : route.apiId(),
                request == null ? "" : request.method().name(), request == null ? "" : request.uri(),
                request == null ? "" : encoder == null ? ProxyExchange.HTTP_2 : request.protocolVersion().text(),
                response.status().code(), listener.rules().rpcStatus(response.headers()), "", 0,
                response.content().readableBytes(), System.nanoTime() - headNanos,
                failure == null ? "" : failure.name()));
    }

    /**
     * Writes a local answer, closing the connection after it unless both the request and the answer allow another
     * request and the gateway is not stopping.
     *
     * @param headRequest the answer is to a HEAD request: it goes out without its body
     * @param requestComplete the client has sent its whole request
     * @return true when the connection closes
     */
    boolean write(FullHttpResponse response, boolean keepAlive, boolean headRequest, boolean requestComplete) {
        boolean close = !keepAlive || !HttpUtil.isKeepAlive(response) || listener.closing().getAsBoolean();
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        // A JSON body after a HEAD answer would be read as the start of the next response.
        if (encoder != null) {
            encoder.answeringHead(headRequest);
        }
        if (close && encoder == null && !requestComplete) {
            // An HTTP/2 stream answered before its request ended: closing it now would reset it with CANCEL, which a
            // client may take for a failure and drop the answer with (curl does). RFC 9113 section 8.1 asks for
            // RST_STREAM NO_ERROR after the complete answer instead, to stop the upload; it follows once the answer
            // has reached the socket, RESET_LINGER_MILLIS later, so that the two do not land in one client read.
            ctx.writeAndFlush(response).addListener(written -> ctx.executor().schedule(
                    () -> ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR))
                            .addListener(ChannelFutureListener.CLOSE),
                    RESET_LINGER_MILLIS, TimeUnit.MILLISECONDS));
        } else if (close) {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(response, ctx.voidPromise());
        }
        return close;
    }

    /**
     * A request head began at {@code sinceNanos} and never ended: 408, reported as a local answer to no request
     * (there is none to name), and the connection closes once it is written.
     */
    void headTimedOut(long sinceNanos) {
        FullHttpResponse response = LocalResponses.error(ctx.alloc(), ProxyFailure.CLIENT_TIMEOUT, false);
        report(null, response, null, ProxyFailure.CLIENT_TIMEOUT, sinceNanos);
        write(response, false, false, true);
    }

    /** The last exchange of an HTTP/1.1 connection is written: close once it has reached the socket. */
    void closeAfterWrites() {
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * The response to {@code request} broke off midway. On HTTP/2 the stream may still end with trailers that say
     * why (gRPC's status); otherwise the stream is reset, or the HTTP/1.1 connection closed, the only signal it has.
     */
    void abort(HttpRequest request, ProxyFailure failure) {
        boolean http2Stream = encoder == null;
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
            // with the RST_STREAM (the JDK's does: it fails the stream and discards what it has not delivered), and
            // the connection's flushes are consolidated. An empty DATA frame carries the flush; the reset follows
            // RESET_LINGER_MILLIS after it has reached the socket, so that it does not land in the client's same read.
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.EMPTY_BUFFER)).addListener(written ->
                    ctx.executor().schedule(() -> ctx.close(), RESET_LINGER_MILLIS, TimeUnit.MILLISECONDS));
            return;
        }
        // What the upstream sent before it broke off may still wait for the end of its read to be flushed (the
        // same read can bring the last bytes and the reset); a close alone would drop it.
        ctx.flush();
        ctx.close();
    }
}
