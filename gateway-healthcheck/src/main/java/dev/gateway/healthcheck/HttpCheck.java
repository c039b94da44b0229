package dev.gateway.healthcheck;

import dev.gateway.core.lb.Target;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An HTTP uptime check: one HTTP/1.1 request on a fresh connection ({@code Connection: close}), over TLS for an
 * {@code https} target. The host is healthy when the response status is exactly 200, as in Tyk; any other status,
 * no response by the deadline, or a failed connection makes it unhealthy. Only the status line and headers are
 * read: the body is not needed, and not reading it keeps the check's memory small whatever the host sends.
 *
 * <p>The request is built once: the method (GET when none is given), the check's headers, then {@code Host}
 * (unless the check sets one), {@code Content-Length} and {@code Connection: close}, which the check owns
 * because it frames the body and the connection itself.
 */
public final class HttpCheck extends EndpointCheck {

    /** Sent unless the check names its own, so a host's access log can tell health checks apart. */
    static final String USER_AGENT = "gateway-healthcheck";

    /** Methods whose request says {@code Content-Length: 0} even without a body, as HTTP clients do. */
    private static final Set<HttpMethod> METHODS_WITH_BODY = Set.of(HttpMethod.POST, HttpMethod.PUT,
            HttpMethod.PATCH);

    private static final String HTTP_CODEC = "check-http";

    private final HttpMethod method;
    private final String uri;
    private final HttpHeaders headers;
    private final byte[] body;
    private final Duration timeout;

    /**
     * @param endpoint the target (its path and query become the request's) and how to connect; give it a TLS
     *     context for {@code https}
     * @param method the request method; {@code null} or empty means GET
     * @param headers request headers, sent as given
     * @param body the request body, already decoded; empty for none
     * @param timeout the deadline for the whole run, connect to status
     * @throws IllegalArgumentException for a method or header that is not valid HTTP
     */
    public HttpCheck(Checks.Endpoint endpoint, String method, Map<String, String> headers, byte[] body,
            Duration timeout) {
        super(endpoint);
        this.method = method == null || method.isBlank() ? HttpMethod.GET
                : HttpMethod.valueOf(method.trim().toUpperCase(Locale.ROOT));
        this.uri = requestUri(endpoint.target());
        this.body = body == null ? new byte[0] : body.clone();
        this.headers = requestHeaders(endpoint.target(), this.method, headers, this.body.length);
        this.timeout = Checks.requirePositive(timeout);
    }

    @Override
    CheckSession newSession(EventLoop loop, Promise<CheckResult> promise) {
        return new Exchange(loop, promise);
    }

    @Override
    public String toString() {
        return method + " " + endpoint.target().scheme() + "://" + endpoint.target().hostHeader() + uri;
    }

    private static String requestUri(Target target) {
        String path = target.basePath().isEmpty() ? "/" : target.basePath();
        return target.query().isEmpty() ? path : path + "?" + target.query();
    }

    /** Validated now (names and values, against header injection), so a bad check fails at load, not per run. */
    private static HttpHeaders requestHeaders(Target target, HttpMethod method, Map<String, String> given,
            int bodyLength) {
        HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().newHeaders();
        given.forEach(headers::set);
        if (!headers.contains(HttpHeaderNames.HOST)) {
            headers.set(HttpHeaderNames.HOST, target.hostHeader());
        }
        if (!headers.contains(HttpHeaderNames.USER_AGENT)) {
            headers.set(HttpHeaderNames.USER_AGENT, USER_AGENT);
        }
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        if (bodyLength > 0 || METHODS_WITH_BODY.contains(method)) {
            headers.setInt(HttpHeaderNames.CONTENT_LENGTH, bodyLength);
        } else {
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
        }
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return headers;
    }

    /** One request and its response status, on one connection. */
    private final class Exchange extends CheckSession {

        Exchange(EventLoop loop, Promise<CheckResult> promise) {
            super(HttpCheck.this.endpoint, HttpCheck.this.timeout, loop, promise);
        }

        @Override
        void onReady(ChannelHandlerContext ctx) {
            ctx.pipeline().addBefore(ctx.name(), HTTP_CODEC, new HttpClientCodec());
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                    Unpooled.wrappedBuffer(body));
            request.headers().set(headers);
            ctx.writeAndFlush(request).addListener(written -> {
                if (!written.isSuccess()) {
                    finish(CheckResult.failed("request failed: " + Checks.describe(written.cause())));
                }
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse response && phase() == Phase.READY && !interim(response)) {
                    finish(outcome(response));
                }
            } finally {
                // The status is all a check needs; the body's parts, when they come, are dropped here.
                ReferenceCountUtil.release(msg);
            }
        }

        /** A 1xx response other than 101 (such as 103 Early Hints) precedes the real one, as Go's client treats it. */
        private boolean interim(HttpResponse response) {
            return response.status().codeClass() == HttpStatusClass.INFORMATIONAL
                    && response.status().code() != HttpResponseStatus.SWITCHING_PROTOCOLS.code()
                    && response.decoderResult().isSuccess();
        }

        private CheckResult outcome(HttpResponse response) {
            DecoderResult decoded = response.decoderResult();
            if (decoded.isFailure()) {
                return CheckResult.failed("bad response: " + Checks.describe(decoded.cause()));
            }
            int status = response.status().code();
            return status == HttpResponseStatus.OK.code() ? CheckResult.ok() : CheckResult.failed("status " + status);
        }

        @Override
        CheckResult onDeadline() {
            return CheckResult.failed("timed out after " + millis());
        }

        @Override
        CheckResult onClosed() {
            return CheckResult.failed("connection closed before a response");
        }

        @Override
        CheckResult onError(Throwable cause) {
            return CheckResult.failed("request failed: " + Checks.describe(cause));
        }
    }
}
