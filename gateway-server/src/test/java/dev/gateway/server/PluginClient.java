package dev.gateway.server;

import dev.gateway.http.support.Curl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * curl as the client of the endpoint-plugin tests, over HTTP/1.1 or HTTP/2 with prior knowledge: it sends a path
 * byte for byte ({@code --path-as-is}), where the JDK client would tidy it, and it can send a body of unknown
 * length.
 */
final class PluginClient {

    /** The protocols a test runs over. */
    static final String HTTP_1_1 = "http1.1";
    static final String H2C = "h2c";

    /** One answer: its status, its headers by lower-case name (the last of each), its body. */
    record Reply(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final String protocol;
    private final int port;
    private final Path dir;

    PluginClient(String protocol, int port, Path dir) {
        this.protocol = protocol;
        this.port = port;
        this.dir = dir;
    }

    Reply get(String path, String... headers) throws IOException, InterruptedException {
        return send("GET", path, null, false, headers);
    }

    /**
     * Sends a request.
     *
     * @param body the body, or {@code null} for none
     * @param unknownLength the body goes without {@code Content-Length}: chunked over HTTP/1.1, bare DATA frames over
     *     HTTP/2
     * @param headers {@code Name: value} lines
     */
    Reply send(String method, String path, byte[] body, boolean unknownLength, String... headers)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("-s", "-i", "--path-as-is", "-X", method, "-H", "Expect:",
                protocol.equals(H2C) ? "--http2-prior-knowledge" : "--http1.1"));
        for (String header : headers) {
            args.add("-H");
            args.add(header);
        }
        if (body != null) {
            Path file = Files.createTempFile(dir, "body", ".bin");
            Files.write(file, body);
            args.add("--data-binary");
            args.add("@" + file);
            if (unknownLength) {
                args.add("-H");
                args.add("Transfer-Encoding: chunked");
            }
        }
        args.add("http://127.0.0.1:" + port + path);
        Curl.Result result = Curl.run(args.toArray(String[]::new));
        if (result.exitCode() != 0) {
            throw new AssertionError("curl " + args + " exited " + result.exitCode() + ": " + result.stderr());
        }
        return parse(result.stdout());
    }

    private static Reply parse(String out) {
        int end = out.indexOf("\r\n\r\n");
        String head = end < 0 ? out : out.substring(0, end);
        String body = end < 0 ? "" : out.substring(end + 4);
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        return new Reply(status, headers, body);
    }
}
