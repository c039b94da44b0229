package dev.gateway.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP/1.1 upstream on 127.0.0.1 and an ephemeral port. It answers {@code 200} with the body
 * {@code <name> <path>}, so a test can tell which upstream served which path. A held upstream answers only once
 * {@link #release()} is called, which lets a test keep a request in flight across a reload or a stop.
 */
final class Upstream implements AutoCloseable {

    /** Longest a held request waits for {@link #release()}; a test that forgets to release still ends. */
    private static final Duration MAX_HOLD = Duration.ofSeconds(30);

    private final String name;
    private final HttpServer server;
    private final ExecutorService executor;
    private final CountDownLatch release;
    private final BlockingQueue<String> arrived = new LinkedBlockingQueue<>();

    private Upstream(String name, boolean held) throws IOException {
        this.name = name;
        this.release = new CountDownLatch(held ? 1 : 0);
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "upstream-" + name);
            t.setDaemon(true);
            return t;
        });
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::answer);
        server.setExecutor(executor);
        server.start();
    }

    /** An upstream that answers at once. */
    static Upstream start(String name) throws IOException {
        return new Upstream(name, false);
    }

    /** An upstream that holds every response until {@link #release()}. */
    static Upstream held(String name) throws IOException {
        return new Upstream(name, true);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    /** The body this upstream answers for {@code path}. */
    String bodyFor(String path) {
        return name + " " + path;
    }

    /** Waits until a request has reached the upstream and returns its path. */
    String awaitRequest(Duration timeout) throws InterruptedException {
        String path = arrived.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (path == null) {
            throw new AssertionError("no request reached upstream " + name + " within " + timeout);
        }
        return path;
    }

    private volatile String lastForwardedFor;

    /** The {@code X-Forwarded-For} of the last request that arrived. */
    String lastForwardedFor() {
        return lastForwardedFor;
    }

    /** Lets every held response go, now and from now on. */
    void release() {
        release.countDown();
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            try (InputStream body = exchange.getRequestBody()) {
                body.readAllBytes();
            }
            String path = exchange.getRequestURI().getRawPath();
            lastForwardedFor = exchange.getRequestHeaders().getFirst("X-Forwarded-For");
            arrived.add(path);
            try {
                if (!release.await(MAX_HOLD.toMillis(), TimeUnit.MILLISECONDS)) {
                    exchange.sendResponseHeaders(500, -1);
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            byte[] bytes = bodyFor(path).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        release();
        server.stop(0);
        executor.shutdownNow();
    }
}
