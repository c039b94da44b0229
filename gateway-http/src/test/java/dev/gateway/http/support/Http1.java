package dev.gateway.http.support;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Just enough HTTP/1.1 to read messages off raw sockets byte for byte: heads, fixed-length, chunked and
 * close-delimited bodies. Deliberately strict, so a gateway that frames a message wrongly makes the test fail.
 */
public final class Http1 {

    private static final byte[] END_OF_HEAD = {'\r', '\n', '\r', '\n'};

    /** Larger heads are a test failure, not something to buffer forever. */
    private static final int MAX_HEAD = 128 * 1024;

    private Http1() {
    }

    /** A request or response head: the start line and the header fields in arrival order. */
    public record Head(String startLine, List<Map.Entry<String, String>> fields) {

        /** The first value of a field, case-insensitively, or {@code null}. */
        public String header(String name) {
            for (Map.Entry<String, String> field : fields) {
                if (field.getKey().equalsIgnoreCase(name)) {
                    return field.getValue();
                }
            }
            return null;
        }

        /** Every value of a field, in order. */
        public List<String> headers(String name) {
            List<String> values = new ArrayList<>();
            for (Map.Entry<String, String> field : fields) {
                if (field.getKey().equalsIgnoreCase(name)) {
                    values.add(field.getValue());
                }
            }
            return values;
        }

        public boolean has(String name) {
            return header(name) != null;
        }

        /** A response's status code. */
        public int status() {
            String[] parts = startLine.split(" ", 3);
            return Integer.parseInt(parts[1]);
        }

        /** A request's method. */
        public String method() {
            return startLine.split(" ", 3)[0];
        }

        /** A request's target. */
        public String target() {
            return startLine.split(" ", 3)[1];
        }

        /** The start line's protocol version: a request's last word, a response's first. */
        public String version() {
            String[] parts = startLine.split(" ", 3);
            return startLine.startsWith("HTTP/") ? parts[0] : parts[2];
        }

        public boolean chunked() {
            String te = header("Transfer-Encoding");
            return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
        }

        /** The declared length, or -1. */
        public long contentLength() {
            String cl = header("Content-Length");
            return cl == null ? -1 : Long.parseLong(cl.trim());
        }
    }

    /** A whole response. */
    public record Response(Head head, byte[] body) {
        public int status() {
            return head.status();
        }

        public String header(String name) {
            return head.header(name);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /**
     * Reads a head up to and including its blank line.
     *
     * @return {@code null} when the stream ends before the first byte
     * @throws EOFException when it ends midway
     */
    public static Head readHead(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                if (bytes.size() == 0) {
                    return null;
                }
                throw new EOFException("stream ended inside a head: " + bytes.toString(StandardCharsets.ISO_8859_1));
            }
            bytes.write(b);
            if (bytes.size() > MAX_HEAD) {
                throw new IOException("head longer than " + MAX_HEAD + " bytes");
            }
            if (b == END_OF_HEAD[matched]) {
                matched++;
            } else {
                matched = b == '\r' ? 1 : 0;
            }
        }
        String text = bytes.toString(StandardCharsets.ISO_8859_1);
        String[] lines = text.substring(0, text.length() - 4).split("\r\n");
        List<Map.Entry<String, String>> fields = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                throw new IOException("not a header field: '" + lines[i] + "'");
            }
            fields.add(Map.entry(lines[i].substring(0, colon), lines[i].substring(colon + 1).trim()));
        }
        return new Head(lines[0], List.copyOf(fields));
    }

    /** Reads a request's body as its head frames it: chunked, by length, or none. */
    public static byte[] readRequestBody(InputStream in, Head head) throws IOException {
        if (head.chunked()) {
            return readChunked(in);
        }
        long length = head.contentLength();
        return length > 0 ? readExactly(in, (int) length) : new byte[0];
    }

    /** Reads a whole response; {@code method} is the request's, since HEAD responses have no body. */
    public static Response readResponse(InputStream in, String method) throws IOException {
        Head head = readHead(in);
        if (head == null) {
            throw new EOFException("connection closed before a response");
        }
        int status = head.status();
        byte[] body;
        if (method.equals("HEAD") || status / 100 == 1 || status == 204 || status == 304) {
            body = new byte[0];
        } else if (head.chunked()) {
            body = readChunked(in);
        } else if (head.contentLength() >= 0) {
            body = readExactly(in, (int) head.contentLength());
        } else {
            body = in.readAllBytes();
        }
        return new Response(head, body);
    }

    /** Reads a chunked body to its end, trailers included. */
    public static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] chunk;
        while ((chunk = readChunk(in)) != null) {
            body.write(chunk);
        }
        return body.toByteArray();
    }

    /**
     * Reads one chunk's data.
     *
     * @return {@code null} at the last chunk, after its trailer section is consumed
     */
    public static byte[] readChunk(InputStream in) throws IOException {
        return readChunk(in, new ArrayList<>());
    }

    /**
     * Reads one chunk's data; at the last chunk, adds the trailer field lines to {@code trailers}.
     *
     * @return {@code null} at the last chunk
     */
    public static byte[] readChunk(InputStream in, List<String> trailers) throws IOException {
        String sizeLine = readLine(in);
        int semicolon = sizeLine.indexOf(';');
        int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
        if (size == 0) {
            for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
                trailers.add(line);
            }
            return null;
        }
        byte[] data = readExactly(in, size);
        if (!readLine(in).isEmpty()) {
            throw new IOException("chunk data not followed by CRLF");
        }
        return data;
    }

    /** One CRLF-terminated line without its CRLF. */
    public static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("stream ended inside a line: " + line);
            }
            if (b == '\n' && previous == '\r') {
                line.setLength(line.length() - 1);
                return line.toString();
            }
            line.append((char) b);
            previous = b;
        }
    }

    public static byte[] readExactly(InputStream in, int length) throws IOException {
        byte[] data = in.readNBytes(length);
        if (data.length != length) {
            throw new EOFException("expected " + length + " bytes, stream ended after " + data.length);
        }
        return data;
    }

    /** One chunk of a chunked body, framed. */
    public static String chunk(String data) {
        return Integer.toHexString(data.getBytes(StandardCharsets.ISO_8859_1).length) + "\r\n" + data + "\r\n";
    }

    /** The last chunk with no trailers. */
    public static final String LAST_CHUNK = "0\r\n\r\n";
}
