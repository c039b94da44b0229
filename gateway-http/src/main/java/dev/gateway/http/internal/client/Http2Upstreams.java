package dev.gateway.http.internal.client;

import dev.gateway.http.UpstreamEndpoint;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP/2 upstream connections of one event loop, by endpoint. Every exchange gets a stream of its own on a
 * shared connection, so load balancing stays per call. A connection takes new streams while the upstream's
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS} allows and it has not sent GOAWAY; past that, another connection
 * opens. Only its own event loop touches it.
 */
final class Http2Upstreams {

    private final EventLoop loop;
    private final UpstreamConnector connector;
    private final Map<UpstreamEndpoint, List<Http2UpstreamConnection>> connections = new HashMap<>();

    Http2Upstreams(EventLoop loop, UpstreamConnector connector) {
        this.loop = loop;
        this.connector = connector;
    }

    /**
     * Opens {@code stream} to the endpoint.
     *
     * @return completes when the stream can carry the request, or fails with why the connection could not be had
     */
    Future<Void> openStream(UpstreamEndpoint endpoint, Http2UpstreamStream stream) {
        Promise<Void> opened = loop.newPromise();
        List<Http2UpstreamConnection> open = connections.computeIfAbsent(endpoint, e -> new ArrayList<>(2));
        Http2UpstreamConnection chosen = null;
        for (int i = 0; i < open.size(); i++) {
            if (open.get(i).takesNewStreams()) {
                chosen = open.get(i);
                break;
            }
        }
        if (chosen == null) {
            chosen = new Http2UpstreamConnection(endpoint, this);
            open.add(chosen);
            connector.connectHttp2(loop, endpoint, chosen);
        }
        chosen.openStream(stream, opened);
        return opened;
    }

    /** A connection closed or stopped taking streams (GOAWAY): new streams go elsewhere. */
    void remove(Http2UpstreamConnection connection) {
        List<Http2UpstreamConnection> open = connections.get(connection.endpoint());
        if (open != null && open.remove(connection) && open.isEmpty()) {
            connections.remove(connection.endpoint());
        }
    }

    /** Closes every connection; used when the gateway stops. */
    void closeAll() {
        List<Http2UpstreamConnection> all = new ArrayList<>();
        connections.values().forEach(all::addAll);
        connections.clear();
        all.forEach(Http2UpstreamConnection::close);
    }
}
