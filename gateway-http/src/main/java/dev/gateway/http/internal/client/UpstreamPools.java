package dev.gateway.http.internal.client;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@link UpstreamPool} of each event loop. The map is read once per exchange from the loop that owns the
 * pool; only the first exchange on a loop writes to it.
 */
public final class UpstreamPools {

    private final UpstreamConnector connector;
    private final int maxIdlePerEndpoint;
    private final ConcurrentMap<EventLoop, UpstreamPool> pools = new ConcurrentHashMap<>();

    public UpstreamPools(UpstreamConnector connector, int maxIdlePerEndpoint) {
        this.connector = connector;
        this.maxIdlePerEndpoint = maxIdlePerEndpoint;
    }

    public UpstreamPool of(EventLoop loop) {
        UpstreamPool pool = pools.get(loop);
        return pool != null ? pool : pools.computeIfAbsent(loop, l -> new UpstreamPool(l, connector,
                maxIdlePerEndpoint));
    }

    /**
     * Closes every idle connection, each on its own loop (at once when that is the caller's, or stopped); the
     * future completes when all are closed.
     */
    public Future<?> closeAll() {
        List<UpstreamPool> all = List.copyOf(pools.values());
        Promise<Void> done = GlobalEventExecutor.INSTANCE.newPromise();
        if (all.isEmpty()) {
            return done.setSuccess(null);
        }
        AtomicInteger remaining = new AtomicInteger(all.size());
        pools.forEach((loop, pool) -> {
            Runnable close = () -> {
                pool.closeAll();
                if (remaining.decrementAndGet() == 0) {
                    done.trySuccess(null);
                }
            };
            if (loop.isShuttingDown() || loop.inEventLoop()) {
                close.run();
            } else {
                loop.execute(close);
            }
        });
        return done;
    }
}
