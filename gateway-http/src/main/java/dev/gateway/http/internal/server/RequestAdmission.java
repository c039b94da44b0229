package dev.gateway.http.internal.server;

import dev.gateway.core.net.ClientAddress;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.http.HttpRoutes;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.Route;
import dev.gateway.http.LocalService;
import dev.gateway.http.internal.exchange.RequestTarget;
import dev.gateway.http.internal.exchange.Switchover;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a request head goes through before any API sees it, the same for every listener: it must have been read,
 * pass {@link RequestChecks}, carry a usable target, and match a route, unless the gateway's own endpoints answer it.
 * Envoy's connection manager does the same before its filter chain: what fails here never reaches a filter.
 */
public final class RequestAdmission {

    private static final Logger log = LoggerFactory.getLogger(RequestAdmission.class);

    /** What became of a request head. */
    sealed interface Verdict permits Routed, Refused, LocalAsked {
    }

    /**
     * The request goes to {@code route}'s chain.
     *
     * @param extendedConnect an HTTP/2 extended CONNECT (RFC 8441), routed by its {@code :path}
     */
    record Routed(Route route, RequestTarget target, boolean extendedConnect) implements Verdict {
    }

    /**
     * The request is answered with {@code failure}.
     *
     * @param keepAlive whether the connection may serve another request after the answer
     */
    record Refused(ProxyFailure failure, boolean keepAlive) implements Verdict {
    }

    /** The request is for one of the gateway's own endpoints: the status endpoint, the control API. */
    record LocalAsked(LocalService service, RequestTarget target) implements Verdict {
    }

    private final long maxBodySize;
    private final Supplier<HttpRoutes> routes;
    private final LocalService local;

    /**
     * @param maxBodySize bytes, 0 for no limit
     * @param routes the listener's routes, read on every request so that a reload swaps them
     * @param local the listener's own endpoints, or {@code null} on listeners without any
     */
    RequestAdmission(long maxBodySize, Supplier<HttpRoutes> routes, LocalService local) {
        this.maxBodySize = maxBodySize;
        this.routes = routes;
        this.local = local;
    }

    /**
     * @param client the connection, for log lines
     * @param http2Stream the request came on an HTTP/2 stream, where extended CONNECT exists
     */
    Verdict admit(HttpRequest request, Channel client, boolean http2Stream) {
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            ClientErrorLog.info(log, client, "client={} conn={} malformed request: {}", ClientAddress.of(client),
                    client.id().asShortText(), cause.getMessage());
            return new Refused(RequestChecks.decodeFailure(cause), false);
        }
        ProxyFailure invalid = RequestChecks.check(request, maxBodySize);
        if (invalid == null) {
            invalid = unsupportedExpectation(request);
        }
        if (invalid != null) {
            log.info("client={} conn={} {} {} refused: {}", ClientAddress.of(client), client.id().asShortText(),
                    request.method(), request.uri(), invalid.message());
            return new Refused(invalid, false);
        }
        boolean extendedConnect = http2Stream && Switchover.isExtendedConnect(request);
        String uri = extendedConnect ? Switchover.connectPath(request) : request.uri();
        RequestTarget target = uri == null ? null
                : RequestTarget.parse(uri, request.headers().get(HttpHeaderNames.HOST));
        if (target == null) {
            ClientErrorLog.info(log, client, "client={} conn={} unusable or ambiguous request target '{}'",
                    ClientAddress.of(client), client.id().asShortText(), request.uri());
            return new Refused(ProxyFailure.BAD_REQUEST, false);
        }
        if (local != null && !extendedConnect && local.serves(target.path())) {
            return new LocalAsked(local, target);
        }
        Route route = routes.get().match(target.host(), target.path());
        if (route == null) {
            return new Refused(ProxyFailure.NO_ROUTE, true);
        }
        if (HttpMethod.TRACE.equals(request.method()) && !route.api().allowTrace()) {
            // TRACE echoes the request, cookies and credentials included, to whoever can script a page.
            ClientErrorLog.info(log, client, "client={} conn={} api={} TRACE {} refused (allow_trace is off)",
                    ClientAddress.of(client), client.id().asShortText(), route.apiId(), target.path());
            return new Refused(ProxyFailure.TRACE_REFUSED, true);
        }
        return new Routed(route, target, extendedConnect);
    }

    /** {@code Expect} other than {@code 100-continue}, which RFC 9110 answers with a 417. */
    private static ProxyFailure unsupportedExpectation(HttpRequest request) {
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        return expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim())
                ? ProxyFailure.EXPECTATION_FAILED : null;
    }
}
