package dev.gateway.server.control;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads asked for through the control API, run one at a time on a thread of their own, as Tyk queues them: asks
 * that come while one is waiting to start join it (a burst of writes costs one reload), and each ask is answered by
 * a reload that started after it.
 */
public final class Reloads implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Reloads.class);

    private final Runnable reload;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "gateway-reload");
        t.setDaemon(true);
        return t;
    });
    /** The reload not yet started, which new asks join; {@code null} when none waits. */
    private CompletableFuture<Void> waiting;

    /** @param reload reads the configuration again and applies it (the gateway's own reload) */
    public Reloads(Runnable reload) {
        this.reload = reload;
    }

    /** Queues a reload; the stage completes when one that started after this call has finished. */
    public synchronized CompletableFuture<Void> request() {
        if (waiting == null) {
            waiting = new CompletableFuture<>();
            thread.execute(this::run);
        }
        return waiting;
    }

    private void run() {
        CompletableFuture<Void> mine;
        synchronized (this) {
            mine = waiting;
            waiting = null;
        }
        try {
            reload.run();
            mine.complete(null);
        } catch (RuntimeException e) {
            log.error("reload failed", e);
            mine.completeExceptionally(e);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
