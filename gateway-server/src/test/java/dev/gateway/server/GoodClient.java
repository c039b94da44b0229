package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.http.support.Clients;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A well-behaved client that sends GETs one after another while a test attacks the gateway, and what an attack
 * test checks when it is over: that every one of them succeeded. The heap before and after is for the attack's
 * memory bound.
 */
final class GoodClient implements AutoCloseable {

    private final HttpClient client;
    private final String url;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Integer> statuses = new CopyOnWriteArrayList<>();
    private final Thread thread;

    private GoodClient(HttpClient client, String url) {
        this.client = client;
        this.url = url;
        this.thread = new Thread(this::run, "good-client");
    }

    /** Checks that the gateway serves {@code url}, then keeps asking for it until {@link #stop}. */
    static GoodClient start(HttpClient client, String url) throws Exception {
        assertEquals(200, Clients.get(client, url).statusCode(), "the gateway serves before the attack");
        GoodClient good = new GoodClient(client, url);
        good.thread.start();
        return good;
    }

    private void run() {
        while (running.get()) {
            try {
                statuses.add(Clients.get(client, url).statusCode());
            } catch (Exception e) {
                statuses.add(-1);
            }
        }
    }

    /** Stops asking, and fails unless every request so far, and one more, succeeded. */
    void stopAndAssertServed() throws Exception {
        close();
        assertEquals(200, Clients.get(client, url).statusCode(), "the gateway serves after the attack");
        assertTrue(!statuses.isEmpty(), "the good client made no request during the attack");
        assertTrue(statuses.stream().allMatch(status -> status == 200), "a good client failed: " + statuses);
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(TimeUnit.SECONDS.toMillis(30));
    }

    /** The heap in use after a collection. */
    static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
