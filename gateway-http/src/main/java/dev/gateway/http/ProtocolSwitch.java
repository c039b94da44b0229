package dev.gateway.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Requests that ask to leave HTTP on their connection: an HTTP/1.1 {@code Upgrade}, or an HTTP/2 extended
 * {@code CONNECT} (RFC 8441). The HTTP proxy routes such a request like any other, sends it to the upstream over a
 * connection of its own, and passes a refusal (any status but 101) back as a normal response. After a
 * {@code 101 Switching Protocols} it takes its codecs out of both connections and hands them here, carrying the new
 * protocol's bytes. What the new protocol is, whether it is allowed, and how its bytes are carried is this
 * interface's business (the WebSocket module implements it).
 *
 * <p>Called on the client connection's event loop, so every method must be quick.
 */
public interface ProtocolSwitch {

    /** How the proxy treats a request that asks to switch protocols. */
    enum Verdict {
        /** Not a protocol this gateway carries: proxied as plain HTTP, its {@code Upgrade} header removed. */
        PLAIN,
        /** Proxied as a protocol switch. */
        SWITCH,
        /** A protocol the gateway could carry but is configured not to: answered with {@link ProxyFailure#UPGRADE_DISABLED}. */
        REFUSE
    }

    /** No protocol switches: every request is plain HTTP. */
    ProtocolSwitch NONE = new ProtocolSwitch() {
        @Override
        public Verdict verdict(HttpRequest request) {
            return Verdict.PLAIN;
        }

        @Override
        public boolean extendedConnect() {
            return false;
        }

        @Override
        public void toUpgradeRequest(HttpRequest connect) {
            throw new UnsupportedOperationException("no protocol switches");
        }

        @Override
        public void toConnectResponse(HttpResponse switching) {
            throw new UnsupportedOperationException("no protocol switches");
        }

        @Override
        public void switched(Switched connection) {
            throw new UnsupportedOperationException("no protocol switches");
        }
    };

    /**
     * What to do with {@code request}, as the client sent it: an HTTP/1.1 request with an {@code Upgrade} header,
     * or an HTTP/2 extended {@code CONNECT} (method {@code CONNECT}, its {@code :protocol} in the
     * {@code x-http2-protocol} header). Called after routing found an API.
     */
    Verdict verdict(HttpRequest request);

    /** Whether HTTP/2 clients may open switches by extended {@code CONNECT}: {@code SETTINGS_ENABLE_CONNECT_PROTOCOL}. */
    boolean extendedConnect();

    /**
     * Rewrites an extended {@code CONNECT} that got {@link Verdict#SWITCH} into the HTTP/1.1 upgrade request its
     * upstream expects, in place: method, request target from {@code x-http2-path}, and the new protocol's headers.
     */
    void toUpgradeRequest(HttpRequest connect);

    /**
     * Rewrites the upstream's {@code 101} into the answer to an extended {@code CONNECT}, in place: a {@code 200}
     * that keeps the new protocol's negotiated headers.
     */
    void toConnectResponse(HttpResponse switching);

    /**
     * The upstream answered {@code 101} and the answer is on its way to the client. Both channels now carry the new
     * protocol's bytes ({@code ByteBuf}s; an HTTP/2 stream's frames are already turned into bytes); each is held
     * ({@code Relay.holdSwitching}) with whatever arrived after the switch, auto-read off.
     */
    void switched(Switched connection);

    /**
     * The gateway is stopping: end every switched connection the way its protocol ends on a server's shutdown (a
     * WebSocket close with 1001). Connections still open when the grace period is over are closed.
     */
    default void drain() {
    }

    /**
     * A connection whose protocol was switched.
     *
     * @param client the client's connection, or its HTTP/2 stream
     * @param upstream the upstream connection, on the same event loop
     * @param apiId the API that routed the request
     * @param clientIp the client's address, for logs
     * @param uri the request target as the client sent it, for logs
     * @param target the upstream target as configured, for logs
     */
    record Switched(Channel client, Channel upstream, String apiId, String clientIp, String uri, String target) {
    }
}
