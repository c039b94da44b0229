package dev.gateway.http.support;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * An HTTP/2 client that writes frames byte by byte, as an attacker would: the preface, then whatever streams and
 * frames a test asks for, valid or not. A reader thread counts what the server answers (RST_STREAM, GOAWAY), notes
 * how each stream ended, and notices when it closes the connection. Header blocks use only HPACK's static table and literals, so no encoder
 * state is needed.
 */
public final class RawH2 implements Closeable {

    public static final int DATA = 0x0;
    public static final int HEADERS = 0x1;
    public static final int RST_STREAM = 0x3;
    public static final int SETTINGS = 0x4;
    public static final int PING = 0x6;
    public static final int CONTINUATION = 0x9;
    /** SETTINGS_MAX_HEADER_LIST_SIZE (RFC 9113, 6.5.2). */
    public static final int MAX_HEADER_LIST_SIZE = 0x6;
    public static final int GOAWAY = 0x7;
    public static final int WINDOW_UPDATE = 0x8;

    public static final int END_STREAM = 0x1;
    public static final int END_HEADERS = 0x4;

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Socket socket;
    private final OutputStream out;
    private final ByteArrayOutputStream batch = new ByteArrayOutputStream();
    private final AtomicInteger resets = new AtomicInteger();
    private final AtomicLong goAwayError = new AtomicLong(-1);
    private final CountDownLatch goAway = new CountDownLatch(1);
    /** The last stream id of each GOAWAY the server sent, in order. */
    private final List<Integer> goAwayLastStreamIds = new java.util.ArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    /** How the server ended each stream: {@code end} (a frame with END_STREAM) or {@code reset:<code>}. */
    private final Map<Integer, String> endings = new HashMap<>();
    /** The settings of the server's first SETTINGS frame, by identifier. */
    private final Map<Integer, Long> serverSettings = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong bytesSent = new AtomicLong();

    private RawH2(Socket socket, boolean reading) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        out.write(PREFACE);
        frame(SETTINGS, 0, 0, new byte[0]);
        flush();
        if (reading) {
            Thread reader = new Thread(this::read, "raw-h2-reader");
            reader.setDaemon(true);
            reader.start();
        }
    }

    private RawH2(Socket socket) throws IOException {
        this(socket, true);
    }

    /**
     * Cleartext HTTP/2 from a client that never reads what the server sends, with a receive buffer of 4 KiB so
     * that the server's writes back up at once.
     */
    public static RawH2 h2cNotReading(int port) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
        return new RawH2(socket, false);
    }

    /** Cleartext HTTP/2 with prior knowledge. */
    public static RawH2 h2c(int port) throws IOException {
        return new RawH2(new Socket("127.0.0.1", port));
    }

    /** HTTP/2 over TLS, chosen by ALPN. */
    public static RawH2 h2(int port, SSLContext tls) throws IOException {
        SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("localhost", port);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {"h2"});
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        if (!"h2".equals(socket.getApplicationProtocol())) {
            socket.close();
            throw new IOException("the server did not choose h2 by ALPN: " + socket.getApplicationProtocol());
        }
        return new RawH2(socket);
    }

    /** A GET of {@code path} on stream {@code streamId}, ending the stream with the headers. */
    public void get(int streamId, String path) {
        get(streamId, path, null, null);
    }

    /** As {@link #get(int, String)}, with one more header field, sent as it is, whatever its value holds. */
    public void get(int streamId, String path, String name, String value) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x82); // :method GET (static index 2)
        block.write(0x86); // :scheme http (static index 6); the gateway does not mind it over TLS
        literal(block, 4, path); // :path, name from static index 4
        literal(block, 1, "localhost"); // :authority, name from static index 1
        if (name != null) {
            block.write(0); // a literal field without indexing, its name literal too (RFC 7541, 6.2.2)
            block.write(name.length());
            block.writeBytes(name.getBytes(StandardCharsets.US_ASCII));
            block.write(value.length());
            block.writeBytes(value.getBytes(StandardCharsets.US_ASCII));
        }
        frame(HEADERS, END_HEADERS | END_STREAM, streamId, block.toByteArray());
    }

    /** A POST of {@code path} on stream {@code streamId} whose body is still to come: the stream stays open. */
    public void post(int streamId, String path) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x83); // :method POST (static index 3)
        block.write(0x86); // :scheme http
        literal(block, 4, path);
        literal(block, 1, "localhost");
        frame(HEADERS, END_HEADERS, streamId, block.toByteArray());
    }

    /** A WINDOW_UPDATE with {@code increment} on {@code streamId}; 0 is a stream error (RFC 9113, 6.9). */
    public void windowUpdate(int streamId, int increment) {
        frame(WINDOW_UPDATE, 0, streamId, new byte[] {
            (byte) (increment >>> 24), (byte) (increment >>> 16), (byte) (increment >>> 8), (byte) increment});
    }

    /** A DATA frame; after the stream has ended from this side it is a stream error (RFC 9113, 5.1). */
    public void data(int streamId, byte[] payload) {
        frame(DATA, 0, streamId, payload);
    }

    /** A RST_STREAM from the client: {@code CANCEL} is 0x8. */
    public void reset(int streamId, int errorCode) {
        frame(RST_STREAM, 0, streamId, new byte[] {
            (byte) (errorCode >>> 24), (byte) (errorCode >>> 16), (byte) (errorCode >>> 8), (byte) errorCode});
    }

    /** A PING with an arbitrary payload, which the server must answer. */
    public void ping() {
        frame(PING, 0, 0, new byte[8]);
    }

    /** An empty SETTINGS frame, which the server must acknowledge. */
    public void settings() {
        frame(SETTINGS, 0, 0, new byte[0]);
    }

    /** Lets the server send as much as it likes: the largest stream windows, and as large a connection window. */
    public void openWindows() {
        int largest = Integer.MAX_VALUE;
        frame(SETTINGS, 0, 0, new byte[] {0, 0x4, (byte) (largest >>> 24), (byte) (largest >>> 16),
            (byte) (largest >>> 8), (byte) largest});
        windowUpdate(0, largest - 65_535);
    }

    /** A HEADERS frame opening {@code streamId} with a POST whose header block is still to come in CONTINUATIONs. */
    public void headersWithoutEnd(int streamId, String path) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x83); // :method POST
        block.write(0x86); // :scheme http
        literal(block, 4, path);
        literal(block, 1, "localhost");
        frame(HEADERS, 0, streamId, block.toByteArray());
    }

    /** A CONTINUATION of {@code streamId}'s header block: {@code size} bytes of literal fields. */
    public void continuation(int streamId, int size, boolean endHeaders) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        while (block.size() + 2 + 1 + 100 <= size) {
            block.write(0); // a literal field without indexing, its name literal too
            block.write(1);
            block.write('x');
            block.write(100);
            block.writeBytes("v".repeat(100).getBytes(StandardCharsets.US_ASCII));
        }
        frame(CONTINUATION, endHeaders ? END_HEADERS : 0, streamId, block.toByteArray());
    }

    /** A setting of the server's first SETTINGS frame, or -1 when it sent none of that identifier (yet). */
    public long serverSetting(int identifier) {
        return serverSettings.getOrDefault(identifier, -1L);
    }

    /** Bytes flushed to the server so far. */
    public long bytesSent() {
        return bytesSent.get();
    }

    /** Sends what was written since the last flush; false once the server has closed the connection. */
    public boolean flush() {
        try {
            batch.writeTo(out);
            out.flush();
            bytesSent.addAndGet(batch.size());
            return true;
        } catch (IOException e) {
            return false;
        } finally {
            batch.reset();
        }
    }

    public boolean awaitGoAway(long timeout, TimeUnit unit) throws InterruptedException {
        return goAway.await(timeout, unit);
    }

    public boolean awaitClosed(long timeout, TimeUnit unit) throws InterruptedException {
        return closed.await(timeout, unit);
    }

    public boolean goAwayReceived() {
        return goAway.getCount() == 0;
    }

    public boolean isClosed() {
        return closed.getCount() == 0;
    }

    public int resets() {
        return resets.get();
    }

    public long goAwayError() {
        return goAwayError.get();
    }

    private void frame(int type, int flags, int streamId, byte[] payload) {
        int length = payload.length;
        batch.write(length >>> 16);
        batch.write(length >>> 8);
        batch.write(length);
        batch.write(type);
        batch.write(flags);
        batch.write(streamId >>> 24);
        batch.write(streamId >>> 16);
        batch.write(streamId >>> 8);
        batch.write(streamId);
        batch.writeBytes(payload);
    }

    /** A literal header field without indexing, its name from the static table (RFC 7541, 6.2.2). */
    private static void literal(ByteArrayOutputStream block, int nameIndex, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        block.write(nameIndex); // 0000xxxx, index below 15
        block.write(bytes.length); // no Huffman, length below 127
        block.writeBytes(bytes);
    }

    private void read() {
        try (DataInputStream in = new DataInputStream(socket.getInputStream())) {
            byte[] header = new byte[9];
            while (true) {
                in.readFully(header);
                int length = (header[0] & 0xff) << 16 | (header[1] & 0xff) << 8 | header[2] & 0xff;
                int type = header[3] & 0xff;
                byte[] payload = new byte[length];
                in.readFully(payload);
                int streamId = int32(header, 5) & 0x7fffffff;
                if (type == RST_STREAM) {
                    resets.incrementAndGet();
                    ended(streamId, "reset:" + (int32(payload, 0) & 0xffffffffL));
                } else if ((type == HEADERS || type == DATA) && (header[4] & END_STREAM) != 0) {
                    ended(streamId, "end");
                } else if (type == SETTINGS && (header[4] & 0x1) == 0 && serverSettings.isEmpty()) {
                    for (int i = 0; i + 6 <= length; i += 6) {
                        serverSettings.put((payload[i] & 0xff) << 8 | payload[i + 1] & 0xff,
                                int32(payload, i + 2) & 0xffffffffL);
                    }
                } else if (type == GOAWAY && length >= 8) {
                    goAwayReceived(int32(payload, 0) & 0x7fffffff);
                    goAwayError.set(int32(payload, 4) & 0xffffffffL);
                    goAway.countDown();
                }
            }
        } catch (EOFException e) {
            // the server closed the connection
        } catch (IOException e) {
            // reset, or closed by the test
        } finally {
            closed.countDown();
        }
    }

    private synchronized void goAwayReceived(int lastStreamId) {
        goAwayLastStreamIds.add(lastStreamId);
        notifyAll();
    }

    /**
     * The last stream ids of the first {@code count} GOAWAY frames the server sent, in order; fewer when fewer came
     * within the timeout.
     */
    public synchronized List<Integer> awaitGoAways(int count, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        long left;
        while (goAwayLastStreamIds.size() < count && (left = deadline - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return List.copyOf(goAwayLastStreamIds);
    }

    private synchronized void ended(int streamId, String how) {
        endings.putIfAbsent(streamId, how);
        notifyAll();
    }

    /**
     * How the server ended {@code streamId}: {@code end} when it sent END_STREAM, {@code reset:<code>} when it
     * reset the stream; {@code null} when it did neither within the timeout.
     */
    public synchronized String awaitEnd(int streamId, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        long left;
        while (!endings.containsKey(streamId) && (left = deadline - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return endings.get(streamId);
    }

    private static int int32(byte[] bytes, int offset) {
        return (bytes[offset] & 0xff) << 24 | (bytes[offset + 1] & 0xff) << 16 | (bytes[offset + 2] & 0xff) << 8
                | bytes[offset + 3] & 0xff;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
