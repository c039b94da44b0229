package dev.gateway.http.support;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A client on a plain socket that writes exactly the bytes a test gives it, for malformed input, framing and
 * connection-level behaviour the JDK client would not let a test express.
 */
public final class RawClient implements AutoCloseable {

    /** How long any single read may block before the test fails instead of hanging. */
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    public static RawClient connect(int port) throws IOException {
        return connect(port, 0);
    }

    /** Connects with a small receive buffer when {@code receiveBuffer} is above 0 (a client that reads slowly). */
    public static RawClient connect(int port, int receiveBuffer) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) READ_TIMEOUT.toMillis());
        return new RawClient(socket);
    }

    /**
     * A TLS connection that sends {@code serverName} in SNI (none when {@code null}); the handshake is done when
     * this returns, so {@link #socket()} tells which certificate the server chose.
     */
    public static RawClient connectTls(int port, String serverName, SSLContext context) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) READ_TIMEOUT.toMillis());
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(serverName == null ? java.util.List.of()
                : java.util.List.of(new SNIHostName(serverName)));
        socket.setSSLParameters(parameters);
        socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
        socket.startHandshake();
        return new RawClient(socket);
    }

    public Socket socket() {
        return socket;
    }

    public InputStream in() {
        return in;
    }

    /** Writes the text as ISO-8859-1 bytes, in one write. */
    public RawClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads one response to a request that was not HEAD. */
    public Http1.Response readResponse() throws IOException {
        return Http1.readResponse(in, "GET");
    }

    public Http1.Response readResponse(String method) throws IOException {
        return Http1.readResponse(in, method);
    }

    /** Sends a bodyless request and reads its response. */
    public Http1.Response get(String path, String... headerLines) throws IOException {
        return exchange("GET", path, headerLines);
    }

    public Http1.Response exchange(String method, String path, String... headerLines) throws IOException {
        StringBuilder request = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        boolean host = false;
        for (String line : headerLines) {
            request.append(line).append("\r\n");
            host |= line.regionMatches(true, 0, "Host:", 0, 5);
        }
        if (!host) {
            request.append("Host: 127.0.0.1:").append(socket.getPort()).append("\r\n");
        }
        send(request.append("\r\n").toString());
        return readResponse(method);
    }

    /**
     * Waits until the peer closes the connection (end of stream or reset) and fails the test if it does not
     * within {@code max}, or if it sends any byte first.
     *
     * @return how long the close took to arrive
     */
    public Duration awaitClosed(Duration max) throws IOException {
        long start = System.nanoTime();
        long deadline = start + max.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    fail("the connection was still open after " + max);
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                int b;
                try {
                    b = in.read();
                } catch (SocketTimeoutException e) {
                    continue;
                }
                if (b < 0) {
                    return Duration.ofNanos(System.nanoTime() - start);
                }
                fail("expected the connection to close, but the gateway sent more: '" + (char) b
                        + new String(in.readNBytes(Math.min(in.available(), 200)), StandardCharsets.ISO_8859_1)
                        + "'");
            }
        } catch (SocketException e) {
            // A reset is a close too.
            return Duration.ofNanos(System.nanoTime() - start);
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            }
        }
    }

    /**
     * Reads and drops whatever arrives until the peer closes the connection.
     *
     * @return the number of bytes dropped
     */
    public long drainUntilClosed(Duration max) throws IOException {
        long deadline = System.nanoTime() + max.toNanos();
        long total = 0;
        byte[] buffer = new byte[64 * 1024];
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    fail("the connection was still open after " + max);
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                int n;
                try {
                    n = in.read(buffer);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                if (n < 0) {
                    return total;
                }
                total += n;
            }
        } catch (SocketException e) {
            return total;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
