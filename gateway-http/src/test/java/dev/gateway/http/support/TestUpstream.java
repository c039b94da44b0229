package dev.gateway.http.support;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A real HTTP/1.1 upstream on the JDK's {@code com.sun.net.httpserver}, bound to {@code 127.0.0.1} port 0. Every
 * request is recorded (method, target, headers, the client port it came from) before the handler runs. The default
 * handler reads the body and answers 200 with the upstream's name as the body; {@link #namingPaths} answers with the
 * name and the path it was asked for, and {@link #held} does so only once {@link #release()} is called, which lets a
 * test keep a request in flight across a reload or a stop.
 */
public final class TestUpstream implements AutoCloseable {

    /** What the upstream saw of one request. */
    public record Recorded(String method, String target, Headers headers, int remotePort) {
        public String header(String name) {
            return headers.getFirst(name);
        }

        public List<String> headers(String name) {
            List<String> values = headers.get(name);
            return values == null ? List.of() : values;
        }
    }

    /** Longest a held request waits for {@link #release()}; a test that forgets to release still ends. */
    private static final Duration MAX_HOLD = Duration.ofSeconds(30);

    /** How long {@link #takeRequest()} waits. */
    private static final Duration TAKE_TIMEOUT = Duration.ofSeconds(10);

    static {
        // The JDK server writes a response head and body separately; with Nagle on, the body waits for the
        // delayed ACK of the head (40 ms on Linux) and every exchange crawls. Read once, when its config loads.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final String name;
    private final HttpServer server;
    private final ExecutorService executor;
    private final BlockingQueue<Recorded> requests = new LinkedBlockingQueue<>();
    private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
    private final AtomicInteger count = new AtomicInteger();
    /** Opened by {@link #release()}; open from the start unless the upstream is {@link #held}. */
    private final CountDownLatch release;

    private TestUpstream(String name, HttpServer server, HttpHandler handler) {
        this(name, server, handler, false, false);
    }

    /** Without a {@code handler}, answers with the name, and the path too when {@code namingPaths}. */
    private TestUpstream(String name, HttpServer server, HttpHandler handler, boolean namingPaths, boolean held) {
        this.name = name;
        this.server = server;
        this.release = new CountDownLatch(held ? 1 : 0);
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread thread = new Thread(r, "upstream-" + name);
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        HttpHandler answer = handler != null ? handler
                : namingPaths ? this::answerWithNameAndPath : this::answerWithName;
        server.createContext("/", exchange -> {
            Headers copy = new Headers();
            copy.putAll(exchange.getRequestHeaders());
            requests.add(new Recorded(exchange.getRequestMethod(), exchange.getRequestURI().toString(), copy,
                    exchange.getRemoteAddress().getPort()));
            clientPorts.add(exchange.getRemoteAddress().getPort());
            count.incrementAndGet();
            try {
                answer.handle(exchange);
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    /** An upstream that answers every request with its name. */
    public static TestUpstream start(String name) throws IOException {
        return new TestUpstream(name, HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64), null);
    }

    /**
     * An upstream that answers every request with {@code <name> <path>} ({@link #bodyFor}), so a test can tell which
     * upstream served which path.
     */
    public static TestUpstream namingPaths(String name) throws IOException {
        return namingPaths(name, false);
    }

    /** As {@link #namingPaths}, but every response waits until {@link #release()} (at most 30 s, then a 500). */
    public static TestUpstream held(String name) throws IOException {
        return namingPaths(name, true);
    }

    private static TestUpstream namingPaths(String name, boolean held) throws IOException {
        return new TestUpstream(name, HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64), null, true, held);
    }

    /** An upstream that answers with {@code handler}; the exchange is closed after it returns. */
    public static TestUpstream start(String name, HttpHandler handler) throws IOException {
        return new TestUpstream(name, HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64), handler);
    }

    /** An HTTPS upstream with the given server context that answers with its name. */
    public static TestUpstream startHttps(String name, SSLContext context) throws IOException {
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        return new TestUpstream(name, server, null);
    }

    private void answerWithName(HttpExchange exchange) throws IOException {
        try (InputStream body = exchange.getRequestBody()) {
            body.transferTo(OutputStream.nullOutputStream());
        }
        respond(exchange, 200, name);
    }

    private void answerWithNameAndPath(HttpExchange exchange) throws IOException {
        try (InputStream body = exchange.getRequestBody()) {
            body.transferTo(OutputStream.nullOutputStream());
        }
        try {
            if (!release.await(MAX_HOLD.toMillis(), TimeUnit.MILLISECONDS)) {
                exchange.sendResponseHeaders(500, -1);
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        respond(exchange, 200, bodyFor(exchange.getRequestURI().getRawPath()));
    }

    /** The body a {@link #namingPaths} or {@link #held} upstream answers for {@code path}. */
    public String bodyFor(String path) {
        return name + " " + path;
    }

    /** Lets every held response go, now and from now on. */
    public void release() {
        release.countDown();
    }

    /** Answers with a text body of known length. */
    public static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    public String name() {
        return name;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:port} (or https) followed by {@code path}. */
    public String url(String path) {
        return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + port() + path;
    }

    public String url() {
        return url("");
    }

    /** The next recorded request, waiting up to 10 s; fails when none arrives. */
    public Recorded takeRequest() throws InterruptedException {
        return takeRequest(TAKE_TIMEOUT);
    }

    /** The next recorded request, waiting up to {@code timeout}; fails when none arrives. */
    public Recorded takeRequest(Duration timeout) throws InterruptedException {
        Recorded recorded = requests.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (recorded == null) {
            throw new AssertionError("upstream " + name + " received no request within " + timeout);
        }
        return recorded;
    }

    /** Recorded requests not taken yet. */
    public List<Recorded> pendingRequests() {
        return List.copyOf(requests);
    }

    /** Requests received so far. */
    public int requestCount() {
        return count.get();
    }

    /** Distinct client ports requests came from: the number of connections that carried a request. */
    public int connectionCount() {
        return clientPorts.size();
    }

    @Override
    public void close() {
        release();
        server.stop(0);
        executor.shutdownNow();
    }
}
