package dev.gateway.http;

/**
 * How an exchange that a {@link RequestFilter} let through ended, told to the filter that asked
 * ({@link FilteredRequest#onEnd}): a circuit breaker counts failures this way. It is told exactly once per request,
 * on the connection's event loop, also when a later filter refused the request, when no upstream was tried, and
 * when the client left first.
 */
@FunctionalInterface
public interface ExchangeEnd {

    /**
     * @param status the HTTP status the client got (a {@code 101} for a protocol switch); 0 when the client left
     *     before it got one
     * @param rpcStatus the gRPC status the client got, -1 for none
     * @param failure what failed the exchange, {@code null} when nothing did
     */
    void ended(int status, int rpcStatus, ProxyFailure failure);
}
