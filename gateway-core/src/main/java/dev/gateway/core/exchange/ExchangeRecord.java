package dev.gateway.core.exchange;

import java.net.InetSocketAddress;

/**
 * What is known of an exchange when it ends, the same for every protocol.
 *
 * @param kind what carried it
 * @param connectionId the client connection's id, as log lines name it ({@code conn=})
 * @param client the real client: after a PROXY protocol header, the one it named; {@code null} when unknown
 * @param apiId the API that served it; empty when none matched
 * @param request the request as the client sent it ({@code GET /path HTTP/1.1}); for a WebSocket its path; empty
 *     for a TCP relay
 * @param status the HTTP status the client got (101 or 200 for a switch); 0 for a WebSocket or TCP relay
 * @param upstream the upstream target as configured; empty when no upstream was reached
 * @param bytesFromClient body or payload bytes the client sent
 * @param bytesToClient body or payload bytes the client was sent
 * @param durationNanos from the request head (the accepted connection, for TCP) to the end
 * @param outcome empty when it ended as it should; otherwise why not: a failure's name ({@code UPSTREAM_TIMEOUT})
 *     or how a relay ended ({@code IDLE})
 */
public record ExchangeRecord(Kind kind, String connectionId, InetSocketAddress client, String apiId, String request,
        int status, String upstream, long bytesFromClient, long bytesToClient, long durationNanos, String outcome) {

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
        request = request == null ? "" : request;
        upstream = upstream == null ? "" : upstream;
        outcome = outcome == null ? "" : outcome;
    }
}
