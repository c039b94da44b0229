package dev.gateway.http.internal.exchange;

import dev.gateway.core.lb.Target;
import dev.gateway.core.net.ClientAddress;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProtocolSwitch;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.Route;
import dev.gateway.http.internal.client.UpstreamPool;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last steps of a request that its route's filters let through, up to its {@link ProxyExchange}: the
 * target choice, the upgrade verdict, the answer to {@code Expect: 100-continue}, and the rewrite of the request for
 * its upstream. One per client connection.
 */
public final class ExchangeStarter {

    private static final Logger log = LoggerFactory.getLogger(ExchangeStarter.class);

    /** What a request that cannot start is told, and whose end the client connection reports. */
    public interface Refusal {
        void refuse(ProxyFailure failure, Route route);
    }

    private final ExchangeClient client;
    private final ChannelHandlerContext ctx;
    private final UpstreamPool pool;
    private final ExchangeSettings settings;
    private final String scheme;

    /** @param scheme {@code http} or {@code https}, as the client reached the listener, for X-Forwarded-Proto */
    public ExchangeStarter(ExchangeClient client, ChannelHandlerContext ctx, UpstreamPool pool,
            ExchangeSettings settings, String scheme) {
        this.client = client;
        this.ctx = ctx;
        this.pool = pool;
        this.settings = settings;
        this.scheme = scheme;
    }

    /**
     * The exchange for {@code request}, or a refusal when every host is down or the switch it asks for is off. The
     * caller starts the exchange once it holds it, since the start may already call back.
     *
     * @param extendedConnect the request is an HTTP/2 extended CONNECT, to go upstream as an HTTP/1.1 upgrade
     * @param filtered the request as the route's filters saw it, with what they chose; {@code null} without filters
     * @return the exchange, not yet started, or {@code null} once {@code refusal} was told why not
     */
    public ProxyExchange open(Route route, RequestTarget target, HttpRequest request, FilteredRequest filtered,
            boolean keepAlive, boolean extendedConnect, String clientIp, Refusal refusal) {
        Target upstream = route.targets().next();
        if (upstream == null) {
            log.warn("api={} client={} conn={} every host is down", route.apiId(), ClientAddress.of(ctx.channel()),
                    ctx.channel().id().asShortText());
            refusal.refuse(ProxyFailure.ALL_HOSTS_DOWN, route);
            return null;
        }
        String uri = filtered == null || filtered.upstreamPath() == null
                ? route.upstreamUri(upstream, target.path(), target.query())
                : rewrittenUri(route, upstream, filtered);
        if (uri == null) {
            refusal.refuse(ProxyFailure.BAD_REQUEST, route);
            return null;
        }
        boolean switching = false;
        if (Switchover.asked(request)) {
            ProtocolSwitch.Verdict verdict = settings.switches().verdict(request);
            if (verdict == ProtocolSwitch.Verdict.REFUSE
                    || extendedConnect && verdict != ProtocolSwitch.Verdict.SWITCH) {
                log.info("api={} client={} conn={} {} refused: {}", route.apiId(), ClientAddress.of(ctx.channel()),
                        ctx.channel().id().asShortText(), request.uri(), ProxyFailure.UPGRADE_DISABLED.message());
                refusal.refuse(ProxyFailure.UPGRADE_DISABLED, route);
                return null;
            }
            switching = verdict == ProtocolSwitch.Verdict.SWITCH;
        }
        if (extendedConnect) {
            settings.switches().toUpgradeRequest(request);
        }
        if (HttpUtil.is100ContinueExpected(request)) {
            // Answered here, as nginx does: the client may send its body now, and the upstream never waits.
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE),
                    ctx.voidPromise());
            request.headers().remove(HttpHeaderNames.EXPECT);
        }
        // Created before the request is rewritten for the upstream: the exchange reads the client's protocol
        // version, which the rewrite replaces with HTTP/1.1 (an HTTP/1.0 client must not get a chunked body).
        ProxyExchange exchange = new ProxyExchange(client, ctx, pool, route, upstream, request, filtered, keepAlive,
                settings, switching, extendedConnect);
        String upgrade = switching ? request.headers().get(HttpHeaderNames.UPGRADE) : null;
        HeaderRewriter.prepareForUpstream(request, route, upstream, uri, clientIp, scheme,
                settings.closeConnections());
        if (switching) {
            Switchover.keepUpgrade(request.headers(), upgrade);
        }
        return exchange;
    }

    /**
     * The upstream target of a request a filter rewrote, held to the policy a client's path is held to: a rewrite
     * built from request values must not smuggle a dot segment, an encoded slash or a control character upstream.
     *
     * @return the target, or {@code null} when the rewrite made a path the gateway refuses (logged here)
     */
    private String rewrittenUri(Route route, Target upstream, FilteredRequest filtered) {
        String path = PathPolicy.canonical(filtered.upstreamPath());
        String query = filtered.upstreamQuery();
        if (path == null || !printable(path) || query != null && !printable(query)) {
            log.info("api={} client={} conn={} a URL rewrite made '{}{}', which is refused", route.apiId(),
                    filtered.client(), filtered.connectionId(), filtered.upstreamPath(),
                    query == null ? "" : "?" + query);
            return null;
        }
        return route.rewrittenUri(upstream, path, query);
    }

    /** Visible ASCII only, as a request target is on the wire: no space, no control character, no CR or LF. */
    private static boolean printable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }
}
