package dev.gateway.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the gateway's own tests poll for: a port that stops accepting connections, a file a gateway process writes.
 * Clients, upstreams and TLS contexts come from the shared test support (gateway-http's and gateway-core's
 * test-jars).
 */
final class Net {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private Net() {
    }

    /** True when nothing accepts connections on 127.0.0.1:{@code port}. */
    static boolean refuses(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) CONNECT_TIMEOUT.toMillis());
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (SocketException e) {
            if (String.valueOf(e.getMessage()).contains("reset")) {
                // Accepted into the backlog of a listener that closed meanwhile: ask again, it is on its way out.
                return false;
            }
            throw new UncheckedIOException("unexpected error connecting to port " + port, e);
        } catch (IOException e) {
            throw new UncheckedIOException("unexpected error connecting to port " + port, e);
        }
    }

    /** Polls until 127.0.0.1:{@code port} refuses connections; a listener closes asynchronously. */
    static void awaitRefused(int port, Duration timeout) throws InterruptedException {
        Deadline deadline = new Deadline(timeout);
        while (!refuses(port)) {
            deadline.check("port " + port + " still accepts connections");
            Thread.sleep(Deadline.POLL_MILLIS);
        }
    }

    /** The text of a file, or empty when it does not exist yet. */
    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A deadline for polling loops: condition checks with a short pause between them, never a fixed wait. */
    static final class Deadline {
        static final long POLL_MILLIS = 20;

        private final long endNanos;
        private final Duration timeout;

        Deadline(Duration timeout) {
            this.timeout = timeout;
            this.endNanos = System.nanoTime() + timeout.toNanos();
        }

        boolean passed() {
            return System.nanoTime() - endNanos > 0;
        }

        /** Fails the test once the deadline has passed. */
        void check(String what) {
            if (passed()) {
                throw new AssertionError(what + " (waited " + timeout.toMillis() + " ms)");
            }
        }
    }
}
