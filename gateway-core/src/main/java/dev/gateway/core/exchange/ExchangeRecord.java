package dev.gateway.core.exchange;

import java.net.InetSocketAddress;

/**
 * What is known of an exchange when it ends, the same for every protocol.
 *
 * @param kind what carried it
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
        /** A WebSocket, from its switch to its close. */
        WEBSOCKET,
        /** A TCP relay of a {@code tcp} or {@code tls} API. */
        TCP
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
