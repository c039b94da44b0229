package dev.gateway.http.internal.client;

import dev.gateway.http.HttpSettings;
import dev.gateway.http.UpstreamEndpoint;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Idle upstream connections of one event loop, by endpoint. Only its own event loop touches it, so it needs no
 * locks; exchanges on that loop take the most recently used connection first, which keeps the rest idle long
 * enough for the sweeper to close them.
 */
public final class UpstreamPool {

    private final EventLoop loop;
    private final UpstreamConnector connector;
    private final int maxIdlePerEndpoint;
    private final Map<UpstreamEndpoint, ArrayDeque<Http1UpstreamConnection>> idle = new HashMap<>();
    private final Http2Upstreams http2;
    private ScheduledFuture<?> sweeper;

    UpstreamPool(EventLoop loop, UpstreamConnector connector, int maxIdlePerEndpoint) {
        this.loop = loop;
        this.connector = connector;
        this.maxIdlePerEndpoint = maxIdlePerEndpoint;
        this.http2 = new Http2Upstreams(loop, connector);
    }

    /** An idle, open connection to the endpoint, or {@code null}; always {@code null} for HTTP/2 endpoints. */
    public UpstreamChannel poll(UpstreamEndpoint endpoint) {
        ArrayDeque<Http1UpstreamConnection> connections = idle.get(endpoint);
        if (connections == null) {
            return null;
        }
        Http1UpstreamConnection connection;
        while ((connection = connections.pollLast()) != null) {
            if (connection.channel().isActive()) {
                return connection;
            }
        }
        return null;
    }

    /**
     * Opens what {@link #newConnection} made: a new connection to the endpoint on this pool's event loop, or, for
     * an HTTP/2 endpoint, a new stream on a shared connection.
     *
     * @return completes when it can carry the request
     */
    public Future<?> connect(UpstreamEndpoint endpoint, UpstreamChannel connection) {
        return connection instanceof Http2UpstreamStream stream ? http2.openStream(endpoint, stream)
                : connector.connect(loop, endpoint, (Http1UpstreamConnection) connection);
    }

    /** A connection (or, for an HTTP/2 endpoint, a stream) to the endpoint, not yet open. */
    public UpstreamChannel newConnection(UpstreamEndpoint endpoint) {
        return endpoint.http2() ? new Http2UpstreamStream() : new Http1UpstreamConnection(endpoint, this);
    }

    /** Keeps a connection for reuse, or closes it when the endpoint already has enough idle ones. */
    void offer(Http1UpstreamConnection connection) {
        ArrayDeque<Http1UpstreamConnection> connections =
                idle.computeIfAbsent(connection.endpoint, e -> new ArrayDeque<>());
        if (connections.size() >= maxIdlePerEndpoint) {
            connection.channel().close();
            return;
        }
        connection.idleSinceNanos = System.nanoTime();
        connections.addLast(connection);
        // Keep one read pending, so that an upstream closing an idle connection is noticed at once.
        connection.channel().read();
        if (sweeper == null) {
            long period = HttpSettings.UPSTREAM_IDLE_TIMEOUT_NANOS / 4;
            sweeper = loop.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.NANOSECONDS);
        }
    }

    /** Forgets a connection that closed. */
    void remove(Http1UpstreamConnection connection) {
        ArrayDeque<Http1UpstreamConnection> connections = idle.get(connection.endpoint);
        if (connections != null) {
            connections.remove(connection);
        }
    }

    private void sweep() {
        long oldest = System.nanoTime() - HttpSettings.UPSTREAM_IDLE_TIMEOUT_NANOS;
        for (Iterator<ArrayDeque<Http1UpstreamConnection>> groups = idle.values().iterator(); groups.hasNext(); ) {
            ArrayDeque<Http1UpstreamConnection> connections = groups.next();
            // Oldest first: the deque is ordered by the time each connection went idle.
            Http1UpstreamConnection first;
            while ((first = connections.peekFirst()) != null && first.idleSinceNanos - oldest < 0) {
                connections.pollFirst().channel().close();
            }
            if (connections.isEmpty()) {
                groups.remove();
            }
        }
        if (idle.isEmpty() && sweeper != null) {
            sweeper.cancel(false);
            sweeper = null;
        }
    }

    /** Closes every idle connection; used when the gateway stops. */
    void closeAll() {
        idle.values().forEach(connections -> connections.forEach(c -> c.channel().close()));
        idle.clear();
        http2.closeAll();
        if (sweeper != null) {
            sweeper.cancel(false);
            sweeper = null;
        }
    }
}
