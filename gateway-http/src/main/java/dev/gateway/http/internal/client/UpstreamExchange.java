package dev.gateway.http.internal.client;

/**
 * What an upstream connection tells the exchange that owns it. The connection knows nothing more of exchanges,
 * which is what keeps this package below the exchange's.
 */
public interface UpstreamExchange {

    /** A part of the response (head, content, trailers), which the exchange now owns. */
    void onUpstreamMessage(Object msg);

    /** The end of a read from the upstream. */
    void onUpstreamReadComplete();

    /** The upstream connection's writability changed: the request body may go on, or must wait. */
    void onUpstreamWritabilityChanged();

    /**
     * The connection closed or failed before the response was complete.
     *
     * @param cause why, or {@code null} for a plain close
     */
    void onUpstreamClosed(UpstreamChannel connection, Throwable cause);
}
