package dev.gateway.http.support;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream on plain sockets that runs a script per accepted connection, each on its own thread: for exact
 * control over what the gateway sees (trickled chunks, hangs, resets, closes mid-body) and for counting
 * connections. Script failures are collected; {@link #close()} closes every socket, which unblocks the scripts.
 */
public final class RawUpstream implements AutoCloseable {

    /** What to do with one accepted connection. */
    @FunctionalInterface
    public interface Script {
        void run(Connection connection) throws Exception;
    }

    /** One accepted connection, with helpers to read requests and write raw responses. */
    public static final class Connection {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final int index;

        Connection(Socket socket, int index) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
            this.index = index;
        }

        /** 0 for the first connection accepted, 1 for the second, and so on. */
        public int index() {
            return index;
        }

        public Socket socket() {
            return socket;
        }

        public InputStream in() {
            return in;
        }

        /** The next request head, or {@code null} when the gateway closed the connection first. */
        public Http1.Head readRequestHead() throws IOException {
            return Http1.readHead(in);
        }

        /** The next request head and its body (which is read and dropped), or {@code null} on a clean close. */
        public Http1.Head readRequest() throws IOException {
            Http1.Head head = readRequestHead();
            if (head != null) {
                Http1.readRequestBody(in, head);
            }
            return head;
        }

        public Connection write(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return this;
        }

        public Connection write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
            return this;
        }

        public void flush() throws IOException {
            out.flush();
        }

        /** Writes a complete response with a text body and {@code Content-Length}. */
        public Connection respond(int status, String body) throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            return write("HTTP/1.1 " + status + " X\r\nContent-Type: text/plain\r\nContent-Length: " + bytes.length
                    + "\r\n\r\n" + body);
        }

        /**
         * Blocks until the gateway closes the connection, discarding anything it sends.
         *
         * @return true on end of stream or reset
         */
        public boolean awaitClose() throws IOException {
            try {
                while (in.read() >= 0) {
                    // discard
                }
                return true;
            } catch (SocketException e) {
                return true;
            }
        }

        /** Closes with a TCP reset instead of a FIN. */
        public void reset() throws IOException {
            socket.setSoLinger(true, 0);
            socket.close();
        }

        public void close() throws IOException {
            socket.close();
        }
    }

    private final ServerSocket server;
    private final Script script;
    private final Thread acceptor;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    private RawUpstream(Script script) throws IOException {
        this.script = script;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 64);
        this.acceptor = new Thread(this::acceptLoop, "raw-upstream-accept-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static RawUpstream start(Script script) throws IOException {
        return new RawUpstream(script);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return;
            }
            sockets.add(socket);
            int index = accepted.getAndIncrement();
            Thread worker = new Thread(() -> {
                try {
                    script.run(new Connection(socket, index));
                } catch (Exception | AssertionError e) {
                    if (!closed) {
                        failures.add(e);
                    }
                } finally {
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // already closed
                    }
                }
            }, "raw-upstream-" + server.getLocalPort() + "-" + index);
            worker.setDaemon(true);
            worker.start();
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** What the scripts threw, for a test's failure message. */
    public List<Throwable> failures() {
        return List.copyOf(failures);
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
