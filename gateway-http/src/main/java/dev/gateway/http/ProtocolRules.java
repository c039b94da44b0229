package dev.gateway.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;

/**
 * What a protocol carried over HTTP needs from the proxy beyond plain HTTP: how the gateway words its own
 * errors, and which calls must stay HTTP/2 end to end. Plain HTTP uses {@link #HTTP}; gRPC supplies its own, so
 * its clients see errors they understand. Called on the event loop for every request, so it must be quick.
 */
public interface ProtocolRules {

    /** Plain HTTP: JSON errors with the failure's HTTP status; any call may change protocol version. */
    ProtocolRules HTTP = new ProtocolRules() {
        @Override
        public boolean isRpc(HttpRequest request) {
            return false;
        }

        @Override
        public FullHttpResponse reply(HttpRequest request, ProxyFailure failure, ByteBufAllocator alloc) {
            return null;
        }

        @Override
        public HttpHeaders abortTrailers(HttpRequest request, ProxyFailure failure) {
            return null;
        }
    };

    /**
     * Whether {@code request} is a call of the protocol: it then goes to its upstream over HTTP/2 (with trailers),
     * and once its response has started it may stay silent as long as it likes (its own deadline governs it).
     */
    boolean isRpc(HttpRequest request);

    /**
     * The answer to {@code request} when the gateway refuses or fails it before any of the upstream's response
     * was sent.
     *
     * @param request the request as the client sent it; {@code null} when it could not be parsed
     * @return the complete response, or {@code null} for the default JSON error
     */
    FullHttpResponse reply(HttpRequest request, ProxyFailure failure, ByteBufAllocator alloc);

    /**
     * As {@link #reply(HttpRequest, ProxyFailure, ByteBufAllocator)}, in words of a filter's own in place of the
     * failure's (see {@link FilterDecision#refuse(ProxyFailure, String)}). By default the words are dropped.
     */
    default FullHttpResponse reply(HttpRequest request, ProxyFailure failure, String message,
            ByteBufAllocator alloc) {
        return reply(request, failure, alloc);
    }

    /**
     * Trailers that end a response which broke off after its head was sent, on a protocol that can carry them
     * (HTTP/2); {@code null} resets the stream instead, which is all HTTP/1.1 can do.
     */
    HttpHeaders abortTrailers(HttpRequest request, ProxyFailure failure);

    /**
     * The status the protocol itself reports in a block of response headers or trailers (gRPC's
     * {@code grpc-status}), for the exchange's record; -1 when the block carries none.
     */
    default int rpcStatus(HttpHeaders headers) {
        return -1;
    }
}
