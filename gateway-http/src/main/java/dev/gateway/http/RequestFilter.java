package dev.gateway.http;

/**
 * One step of an API's request chain: authentication, access rights, a rate limit, a circuit breaker. An API's
 * filters are compiled into its {@link Route} at load, run in order on every request the route matches (HTTP/1.1,
 * HTTP/2, gRPC calls and WebSocket upgrades alike) before an upstream is chosen, and an API without filters pays
 * nothing for them.
 *
 * <p>A filter runs on the connection's event loop and must not block it. It answers at once ({@link
 * FilterDecision#proceed()}, {@link FilterDecision#refuse}), or later ({@link FilterDecision#later}) when it must
 * wait for something, such as a key in Redis: the request then waits, its body unread in the socket or the HTTP/2
 * stream's window, so backpressure holds. A filter may change the request's headers, which later filters and the
 * upstream see. A filter that throws, or whose decision fails, refuses the request with
 * {@link ProxyFailure#FILTER_FAILED}.
 */
@FunctionalInterface
public interface RequestFilter {

    FilterDecision filter(FilteredRequest request);
}
