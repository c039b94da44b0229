package dev.gateway.ssews;

import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.exchange.ExchangeRecord;
import dev.gateway.core.net.ClientAddress;
import dev.gateway.core.relay.Relay;
import dev.gateway.http.HeaderTokens;
import dev.gateway.http.HttpSettings;
import dev.gateway.http.ProtocolSwitch;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.HttpConversionUtil.ExtensionHeaderNames;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebSocket proxying ({@code http_server_options.enable_websockets}). An HTTP/1.1 {@code GET} with
 * {@code Upgrade: websocket} and {@code upgrade} among its {@code Connection} tokens, or an HTTP/2 extended
 * {@code CONNECT} with {@code :protocol websocket} (RFC 8441), is proxied as an upgrade. After the upstream's
 * {@code 101} the two connections become a {@link Relay}: frames pass untouched, with backpressure both ways.
 *
 * <ul>
 *   <li>{@code read_timeout} and {@code write_timeout} end with the switch; the stream idle timeout closes a
 *       WebSocket silent in both directions.
 *   <li>A stop sends each side a close frame with 1001 (going away) at its next frame boundary.
 *   <li>Without {@code enable_websockets}, an upgrade gets a 501 that says so.
 * </ul>
 */
public final class WebSockets implements ProtocolSwitch {

    private static final Logger log = LoggerFactory.getLogger(WebSockets.class);

    private static final String WEBSOCKET = "websocket";

    private final boolean enabled;
    private final long idleTimeoutNanos;
    private final ExchangeListener exchanges;
    /** Open WebSockets, so a stop can tell each one. */
    private final Set<Tunnel> open = ConcurrentHashMap.newKeySet();

    /**
     * @param enabled {@code enable_websockets}
     * @param idleTimeoutNanos close a WebSocket after this long without a byte either way; 0 for never
     */
    public WebSockets(boolean enabled, long idleTimeoutNanos) {
        this(enabled, idleTimeoutNanos, ExchangeListener.NONE);
    }

    /** @param exchanges told when each WebSocket opens and when it ends */
    public WebSockets(boolean enabled, long idleTimeoutNanos, ExchangeListener exchanges) {
        this.enabled = enabled;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.exchanges = exchanges;
    }

    /** As {@code tyk.conf} says: {@code enable_websockets} and {@code stream_idle_timeout}; no one listens. */
    public static WebSockets from(HttpSettings settings) {
        return from(settings, ExchangeListener.NONE);
    }

    /**
     * As {@code tyk.conf} says: {@code enable_websockets} and {@code stream_idle_timeout}; {@code exchanges} is told
     * when each WebSocket opens and when it ends.
     */
    public static WebSockets from(HttpSettings settings, ExchangeListener exchanges) {
        return new WebSockets(settings.websockets(), settings.streamIdleTimeoutNanos(), exchanges);
    }

    /** WebSockets open now. */
    public int openCount() {
        return open.size();
    }

    @Override
    public Verdict verdict(HttpRequest request) {
        HttpHeaders headers = request.headers();
        boolean websocket;
        if (request.method().equals(HttpMethod.CONNECT)) {
            websocket = WEBSOCKET.equalsIgnoreCase(headers.get(ExtensionHeaderNames.PROTOCOL.text()));
        } else {
            // RFC 6455 section 4.1: a GET, HTTP/1.1 or later. Connection lists "upgrade" among any other tokens
            // (Firefox sends "keep-alive, Upgrade"), and Upgrade may offer several protocols.
            websocket = request.method().equals(HttpMethod.GET)
                    && !request.protocolVersion().equals(HttpVersion.HTTP_1_0)
                    && HeaderTokens.contains(headers, HttpHeaderNames.UPGRADE, WEBSOCKET)
                    && HeaderTokens.contains(headers, HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE.toString());
        }
        if (!websocket) {
            return Verdict.PLAIN;
        }
        return enabled ? Verdict.SWITCH : Verdict.REFUSE;
    }

    @Override
    public boolean extendedConnect() {
        return enabled;
    }

    /** RFC 8441 section 5: the HTTP/1.1 handshake the upstream expects, with a key of the gateway's own. */
    @Override
    public void toUpgradeRequest(HttpRequest connect) {
        HttpHeaders headers = connect.headers();
        connect.setMethod(HttpMethod.GET);
        connect.setUri(headers.get(ExtensionHeaderNames.PATH.text()));
        headers.remove(ExtensionHeaderNames.PROTOCOL.text());
        headers.remove(ExtensionHeaderNames.PATH.text());
        headers.remove(ExtensionHeaderNames.SCHEME.text());
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        headers.remove(HttpHeaderNames.CONTENT_LENGTH);
        headers.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        headers.set(HttpHeaderNames.SEC_WEBSOCKET_KEY, Base64.getEncoder().encodeToString(key));
        if (!headers.contains(HttpHeaderNames.SEC_WEBSOCKET_VERSION)) {
            headers.set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
        }
    }

    /** RFC 8441 section 5: a 200 carrying the negotiated subprotocol and extensions, and nothing of HTTP/1.1's. */
    @Override
    public void toConnectResponse(HttpResponse switching) {
        switching.setStatus(HttpResponseStatus.OK);
        HttpHeaders headers = switching.headers();
        headers.remove(HttpHeaderNames.UPGRADE);
        headers.remove(HttpHeaderNames.CONNECTION);
        headers.remove(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT);
        headers.remove(HttpHeaderNames.CONTENT_LENGTH);
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
    }

    @Override
    public void switched(Switched connection) {
        Channel client = connection.client();
        Channel upstream = connection.upstream();
        FrameBoundary toClient = new FrameBoundary(false);
        FrameBoundary toUpstream = new FrameBoundary(true);
        client.pipeline().addLast(FrameBoundary.NAME, toClient);
        upstream.pipeline().addLast(FrameBoundary.NAME, toUpstream);
        Tunnel tunnel = new Tunnel(client, toClient, toUpstream);
        open.add(tunnel);
        log.debug("api={} client={} websocket {} open", connection.apiId(), connection.clientIp(), connection.uri());
        // Before the join: a relay whose side closed already ends within it, and its end must follow its open.
        exchanges.onOpen(ExchangeRecord.Kind.WEBSOCKET, connection.apiId());
        Relay.join(client, upstream, idleTimeoutNanos, report -> {
            open.remove(tunnel);
            log.info("api={} client={} conn={} websocket {} closed ({}): {} bytes from the client, {} bytes to it,"
                    + " {} ms", connection.apiId(), connection.clientIp(), client.id().asShortText(), connection.uri(),
                    describe(report.reason()), report.clientToUpstreamBytes(), report.upstreamToClientBytes(),
                    TimeUnit.NANOSECONDS.toMillis(report.durationNanos()));
            exchanges.onEnd(new ExchangeRecord(ExchangeRecord.Kind.WEBSOCKET, client.id().asShortText(),
                    ClientAddress.of(client), connection.apiId(), "", connection.uri(), "", 0, -1, connection.target(),
                    report.clientToUpstreamBytes(), report.upstreamToClientBytes(), report.durationNanos(),
                    report.reason().name()));
        });
    }

    /** Each open WebSocket gets a close frame with 1001 both ways; the peers then answer and close. */
    @Override
    public void drain() {
        for (Tunnel tunnel : open) {
            tunnel.client.eventLoop().execute(tunnel::goAway);
        }
    }

    private static String describe(Relay.Reason reason) {
        return switch (reason) {
            case DONE -> "both sides finished";
            case CLIENT_CLOSED -> "the client closed";
            case UPSTREAM_CLOSED -> "the upstream closed";
            case IDLE -> "idle for stream_idle_timeout";
            case ERROR -> "error";
            case STOPPED -> "the gateway stopped";
        };
    }

    /** One open WebSocket: its channels' frame watchers. */
    private record Tunnel(Channel client, FrameBoundary toClient, FrameBoundary toUpstream) {
        void goAway() {
            toClient.goAway();
            toUpstream.goAway();
        }
    }
}
