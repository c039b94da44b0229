package dev.gateway.ssews;

import dev.gateway.http.support.Http1;
import dev.gateway.http.support.RawUpstream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An event-stream upstream on plain sockets ({@link RawUpstream}), one stream per connection: it answers every
 * request with a chunked {@code text/event-stream} of {@code id: N} / {@code data: N} events, one chunk each, written
 * and flushed {@code pace} apart, then ends the way the test asked. A watcher thread reads the connection after the
 * request, so the test learns the moment the gateway let go of it.
 */
final class SseUpstream implements AutoCloseable {

    /** How a stream ends after its events. */
    enum Ending {
        /** The last chunk; the connection is closed after it ({@code Connection: close}). */
        COMPLETE,
        /** Nothing more is sent; the connection stays open until the gateway closes it. */
        GO_SILENT,
        /** The upstream closes mid-body with a FIN, no last chunk: a truncated body, not a complete one. */
        CLOSE,
        /** The upstream dies mid-body: the socket is closed with a TCP reset, no last chunk. */
        RESET
    }

    /** Longest a silent stream is held open, so a gateway that never lets go cannot keep a thread forever. */
    private static final Duration SILENCE_LIMIT = Duration.ofSeconds(30);

    /** One stream: the request it answers, when each event left, and when the gateway closed the connection. */
    static final class Stream {
        private final Http1.Head request;
        private final List<Long> sentNanos = new CopyOnWriteArrayList<>();
        private final CountDownLatch connectionGone = new CountDownLatch(1);
        /** Set before the upstream closes the socket itself, so its own close is not taken for the gateway's. */
        private volatile boolean closingItself;
        private volatile boolean closedByGateway;

        Stream(Http1.Head request) {
            this.request = request;
        }

        Http1.Head request() {
            return request;
        }

        /** The {@code Last-Event-ID} the gateway passed on, or {@code null}. */
        String lastEventId() {
            return request.header("Last-Event-ID");
        }

        /** {@link System#nanoTime()} when each event was flushed to the socket, in order. */
        List<Long> sentNanos() {
            return List.copyOf(sentNanos);
        }

        /**
         * Waits for the gateway to close the connection (a FIN or a reset) while the upstream still held it open.
         *
         * @return whether it did within {@code max}
         */
        boolean awaitClosedByGateway(Duration max) throws InterruptedException {
            return connectionGone.await(max.toMillis(), TimeUnit.MILLISECONDS) && closedByGateway;
        }

        /** Reads until the gateway goes away; anything it sends after the request is ignored. */
        private void watch(RawUpstream.Connection connection) {
            try {
                while (connection.in().read() >= 0) {
                    // discard
                }
            } catch (IOException e) {
                // a reset, or the upstream's own close
            }
            closedByGateway = !closingItself;
            connectionGone.countDown();
        }
    }

    private final RawUpstream server;
    private final BlockingQueue<Stream> streams = new LinkedBlockingQueue<>();

    private SseUpstream(int events, Duration pace, Ending ending) throws IOException {
        this.server = RawUpstream.start(connection -> serve(connection, events, pace, ending));
    }

    /**
     * Starts an upstream whose streams carry {@code events} events, the first at once and each next one {@code pace}
     * later, then end as {@code ending} says. Event numbers start after the request's {@code Last-Event-ID}, or at 1.
     */
    static SseUpstream start(int events, Duration pace, Ending ending) throws IOException {
        return new SseUpstream(events, pace, ending);
    }

    private void serve(RawUpstream.Connection connection, int events, Duration pace, Ending ending)
            throws Exception {
        Http1.Head request = connection.readRequestHead();
        if (request == null) {
            return;
        }
        Stream stream = new Stream(request);
        streams.add(stream);
        Thread watcher = new Thread(() -> stream.watch(connection), "sse-upstream-watch-" + connection.index());
        watcher.setDaemon(true);
        watcher.start();
        int first = stream.lastEventId() == null ? 1 : Integer.parseInt(stream.lastEventId()) + 1;
        try {
            connection.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                    + "Transfer-Encoding: chunked\r\n"
                    + (ending == Ending.COMPLETE ? "Connection: close\r\n" : "") + "\r\n");
            for (int i = 0; i < events; i++) {
                if (i > 0) {
                    // Pacing: the upstream's own rhythm, which the client must see unchanged.
                    Thread.sleep(pace.toMillis());
                }
                int id = first + i;
                connection.write(Http1.chunk("id: " + id + "\ndata: " + id + "\n\n"));
                stream.sentNanos.add(System.nanoTime());
            }
        } catch (IOException e) {
            // The gateway went away mid-stream; the watcher has seen it, and the test asks the watcher.
            return;
        }
        switch (ending) {
            case COMPLETE -> {
                stream.closingItself = true;
                connection.write(Http1.LAST_CHUNK);
                connection.close();
            }
            case GO_SILENT -> stream.connectionGone.await(SILENCE_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            case CLOSE -> {
                stream.closingItself = true;
                connection.close();
            }
            case RESET -> {
                stream.closingItself = true;
                connection.reset();
            }
        }
    }

    String url() {
        return server.url();
    }

    /** The next stream the gateway asked for, waiting up to 10 s; fails when none comes. */
    Stream takeStream() throws InterruptedException {
        Stream stream = streams.poll(10, TimeUnit.SECONDS);
        if (stream == null) {
            throw new AssertionError("the upstream received no request within 10 s");
        }
        return stream;
    }

    /** Connections the gateway opened so far. */
    int accepted() {
        return server.accepted();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
