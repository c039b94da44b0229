package dev.gateway.http.internal.client;

import io.netty.channel.Channel;

/**
 * Where an exchange's request goes and its response comes from: an HTTP/1.1 connection of the pool, or a stream on
 * a shared HTTP/2 connection. An exchange owns it from {@link #attach} until it lets go with {@link #release} or
 * {@link #discard}, and hears of it through {@link UpstreamExchange}.
 */
public interface UpstreamChannel {

    /** Makes {@code exchange} the owner, told of every part of the response. */
    void attach(UpstreamExchange exchange);

    /** Writes a request part (head, content, end), to go out with the next {@link #flush}. */
    void write(Object part);

    void flush();

    /** Asks for more of the response: the exchange can pass on what comes. */
    void read();

    /** Whether the upstream takes more of the request now; when it does again, the owner hears of it. */
    boolean isWritable();

    /** Whether this is an HTTP/2 stream, rather than an HTTP/1.1 connection. */
    boolean isHttp2();

    /**
     * Whether it has served before: a pooled connection, or a stream on a connection that was already open. Either
     * may meet an upstream that gave up on it unseen, and a bodyless idempotent request refused that way is sent
     * again.
     */
    boolean isReused();

    /** The response is complete: the connection goes back to its pool when {@code reusable}, else closes. */
    void release(boolean reusable);

    /** Lets go before the response was complete: the connection closes, the stream is reset. */
    void discard();

    /**
     * Takes the connection out of HTTP after a {@code 101}: it is held for a relay with whatever the upstream sent
     * after the response, and belongs to no exchange or pool any more. HTTP/1.1 connections only.
     */
    Channel switchProtocols();
}
