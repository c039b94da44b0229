package dev.gateway.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One HTTP/1.1 client connection over a plain socket, for what the JDK client hides: keeping one connection
 * across a reload, reading it to its end, and choosing the SNI name independently of the address.
 */
final class RawHttp implements AutoCloseable {

    /** What came back: status, headers with lower-case names, and a body read by {@code content-length}. */
    record Response(int status, Map<String, String> headers, String body) {
    }

    private final Socket socket;
    private final InputStream in;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout((int) Net.REQUEST_TIMEOUT.toMillis());
        this.in = new BufferedInputStream(socket.getInputStream());
    }

    static RawHttp connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) Net.CONNECT_TIMEOUT.toMillis());
        return new RawHttp(socket);
    }

    /**
     * A TLS connection to 127.0.0.1:{@code port}, trusting only the test CA and sending {@code sniName} (none when
     * {@code null}); the handshake is done, so {@link #socket()} tells which certificate the server chose. No host
     * name check is made here: the test asserts on the certificate itself.
     *
     * <p>Each connection gets a fresh SSL context. The JDK caches sessions by address, not by SNI name, and offers
     * a session made under one name when connecting under another; the server accepting that TLS 1.3 resumption
     * would show the first name's certificate again (see the report on cross-SNI resumption).
     */
    static RawHttp connectTls(int port, String sniName) throws IOException {
        SSLSocket socket = (SSLSocket) Net.trustingTestCa().getSocketFactory().createSocket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) Net.CONNECT_TIMEOUT.toMillis());
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(sniName == null ? List.of() : List.of(new SNIHostName(sniName)));
        socket.setSSLParameters(parameters);
        socket.setSoTimeout((int) Net.REQUEST_TIMEOUT.toMillis());
        socket.startHandshake();
        return new RawHttp(socket);
    }

    Socket socket() {
        return socket;
    }

    /** Sends a GET with keep-alive and reads the response. */
    Response get(String host, String path) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return readResponse();
    }

    /** Sends a GET without waiting for the answer. */
    void send(String host, String path) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    Response readResponse() throws IOException {
        String statusLine = line();
        if (statusLine == null) {
            throw new EOFException("connection closed before a response");
        }
        String[] parts = statusLine.split(" ", 3);
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header = line(); header != null && !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            throw new EOFException("body cut short: " + body.length + " of " + length + " bytes");
        }
        return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    /** True when the server has closed the connection: the next read sees end of stream. */
    boolean closedByPeer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketException e) {
            // A reset is a close too.
            return true;
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != -1; b = in.read()) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
