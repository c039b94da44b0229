package dev.gateway.http.internal.exchange;

import dev.gateway.core.lb.Target;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.Route;
import io.netty.channel.Channel;

/**
 * The client side of an exchange: what a {@link ProxyExchange} tells the connection (or HTTP/2 stream) whose request
 * it serves. Demand, completion and failure flow back through here, and nothing else of the connection is visible
 * to the exchange.
 */
public interface ExchangeClient {

    /** The HTTP/1.1 connection's response encoder, told about HEAD answers; {@code null} on an HTTP/2 stream. */
    ProxyResponseEncoder encoder();

    /** Makes sure the upstream's timeout is checked at {@code deadline} (nanoTime) or earlier. */
    void watchUpstream(long deadline);

    /** The exchange wrote to the upstream; the end of the client's read must flush it. */
    void upstreamWritePending();

    /** The exchange may now want the request body, or no longer: the connection reads, or stops. */
    void requestDemandChanged();

    /** The whole response went out; {@code keepAlive} says whether the connection may serve another request. */
    void exchangeFinished(boolean keepAlive);

    /** The exchange failed before any of the response went out: the client gets an error answer. */
    void answerError(ProxyFailure failure, boolean keepAlive);

    /** The response broke off midway: the client must learn it the only way its protocol allows. */
    void abortResponse(ProxyFailure failure);

    /**
     * The upstream's {@code 101} (or the 200 that answers an extended CONNECT) went out: the connection leaves HTTP,
     * and both it and {@code upstream} go to the protocol switch.
     */
    void switchProtocols(Channel upstream, Route route, Target target, String uri);
}
