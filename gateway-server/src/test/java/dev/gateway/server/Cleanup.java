package dev.gateway.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a test started, closed in reverse order when it ends: gateways, upstreams, processes, connections. Every
 * resource is closed even when an earlier one fails to close.
 */
final class Cleanup {

    /** Grace an in-process gateway gets when a test ends; held requests were released by then or do not matter. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(2);

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();

    <T extends AutoCloseable> T add(T resource) {
        resources.push(resource);
        return resource;
    }

    /** Starts an in-process gateway on an ephemeral port; it is stopped when the test ends. */
    Gateway gateway(Path conf) throws Exception {
        Gateway gateway = Gateway.start(conf, 0);
        resources.push(() -> gateway.stop(STOP_GRACE));
        return gateway;
    }

    Upstream upstream(String name) throws Exception {
        return add(Upstream.start(name));
    }

    Upstream heldUpstream(String name) throws Exception {
        return add(Upstream.held(name));
    }

    /** Closes everything added, newest first; rethrows the first failure with the others suppressed. */
    void closeAll() throws Exception {
        Exception first = null;
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
