package dev.gateway.core.exchange;

import java.net.InetSocketAddress;

/**
 * What is known of an exchange when it ends, the same for every protocol.
 *
 * @param kind what carried it; a stream's kind is the one its open named ({@link ExchangeListener#onOpen})
 * @param connectionId the client connection's id, as log lines name it ({@code conn=})
 * @param client the real client: after a PROXY protocol header, the one it named; {@code null} when unknown
 * @param apiId the API that served it; empty when none matched
 * @param method the request's method as the client sent it; empty for a WebSocket or TCP relay
 * @param target the request target as the client sent it (before the listen path was stripped); for a WebSocket,
 *     the target of its upgrade; empty for a TCP relay
 * @param protocol {@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2.0}; empty for a WebSocket or TCP relay
 * @param status the HTTP status the client got (101 or 200 for a switch); 0 for a WebSocket or TCP relay
 * @param grpcStatus for a gRPC call, the {@code grpc-status} the client got (from the upstream's trailers, or the
 *     gateway's own answer); -1 otherwise
 * @param upstream the upstream target as configured; empty when no upstream was reached
 * @param bytesFromClient body or payload bytes the client sent
 * @param bytesToClient body or payload bytes the client was sent
 * @param durationNanos from the request head (the accepted connection, for TCP) to the end
 * @param outcome for an HTTP request, empty when it ended as it should, else its failure's name
 *     ({@code UPSTREAM_TIMEOUT}); for a WebSocket or TCP relay, how it ended ({@code DONE}, {@code CLIENT_CLOSED},
 *     {@code IDLE}, ...)
 */
public record ExchangeRecord(Kind kind, String connectionId, InetSocketAddress client, String apiId,
        String method, String target, String protocol, int status, int grpcStatus, String upstream,
        long bytesFromClient, long bytesToClient, long durationNanos, String outcome) {

    /** What carried an exchange. */
    public enum Kind {
        /** An HTTP request proxied to an upstream (HTTP/1.1 or HTTP/2, gRPC included), up to a protocol switch. */
        PROXIED,
        /** An HTTP request the gateway answered itself: no route, every host down, a refused request. */
        LOCAL,
        /**
         * An HTTP request proxied to an upstream whose response was an event stream ({@code text/event-stream}):
         * otherwise as {@link #PROXIED}, fields and all, but opened when its response head came and ended however
         * it ends, the client leaving included (its outcome then empty, as that is how event streams end).
         */
        EVENT_STREAM,
        /** A WebSocket, from its switch to its close. */
        WEBSOCKET,
        /** A TCP relay of a {@code tcp} or {@code tls} API. */
        TCP;

        /** Whether an exchange of this kind is long-lived: told open ({@link ExchangeListener#onOpen}), then ended. */
        public boolean isStream() {
            return this == EVENT_STREAM || this == WEBSOCKET || this == TCP;
        }

        /** Whether the exchange is an HTTP request, with a method and a status: proxied, local, an event stream. */
        public boolean isHttp() {
            return this == PROXIED || this == LOCAL || this == EVENT_STREAM;
        }
    }

    public ExchangeRecord {
        apiId = apiId == null ? "" : apiId;
        method = method == null ? "" : method;
        target = target == null ? "" : target;
        protocol = protocol == null ? "" : protocol;
        upstream = upstream == null ? "" : upstream;
        outcome = outcome == null ? "" : outcome;
    }
}
