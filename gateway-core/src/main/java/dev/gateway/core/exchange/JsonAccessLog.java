package dev.gateway.core.exchange;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log as one JSON object per line ({@code access_logs.format: "json"}), on the same
 * {@code gateway.access} logger as the text line. Fields carry Tyk's access-log names where Tyk has one
 * ({@code api_id}, {@code client_ip}, {@code method}, {@code path}, {@code protocol}, {@code status},
 * {@code upstream_addr}, {@code latency_total} in milliseconds) and names of our own otherwise ({@code kind},
 * {@code conn}, {@code grpc_status}, {@code bytes_in}, {@code bytes_out}, {@code error}). Tyk's
 * {@code access_logs.template} picks the fields to write; without one, every field is written.
 *
 * <pre>
 * {"kind":"http","client_ip":"10.0.0.7","conn":"2ab6fdce","api_id":"demo","method":"GET","path":"/demo/hello","protocol":"HTTP/1.1","status":200,"bytes_in":0,"bytes_out":208,"upstream_addr":"http://127.0.0.1:9001/","latency_total":27.048}
 * </pre>
 */
public final class JsonAccessLog implements ExchangeListener {

    /** Every field this log can write, in the order it writes them. */
    public static final List<String> FIELDS = List.of("kind", "client_ip", "conn", "api_id", "method", "path",
            "protocol", "status", "grpc_status", "bytes_in", "bytes_out", "upstream_addr", "latency_total", "error");

    private static final Logger log = LoggerFactory.getLogger("gateway.access");

    private final boolean[] wanted = new boolean[FIELDS.size()];

    /** @param template the fields to write (Tyk's {@code access_logs.template}); empty writes them all */
    public JsonAccessLog(List<String> template) {
        Set<String> chosen = Set.copyOf(template);
        for (int i = 0; i < wanted.length; i++) {
            wanted[i] = chosen.isEmpty() || chosen.contains(FIELDS.get(i));
        }
    }

    @Override
    public void onEnd(ExchangeRecord record) {
        if (!log.isInfoEnabled()) {
            return;
        }
        StringBuilder line = new StringBuilder(256).append('{');
        // An event stream is an HTTP request like any other here: its line is its request's, written at its end.
        text(line, 0, record.kind().isHttp() ? "http" : record.kind().name().toLowerCase(Locale.ROOT));
        text(line, 1, record.client() == null ? "" : record.client().getAddress() != null
                ? record.client().getAddress().getHostAddress() : record.client().getHostString());
        text(line, 2, record.connectionId());
        text(line, 3, record.apiId());
        text(line, 4, record.method());
        text(line, 5, record.target());
        text(line, 6, record.protocol());
        if (record.status() > 0) {
            number(line, 7, record.status());
        }
        if (record.grpcStatus() >= 0) {
            number(line, 8, record.grpcStatus());
        }
        number(line, 9, record.bytesFromClient());
        number(line, 10, record.bytesToClient());
        text(line, 11, record.upstream());
        if (wanted[12]) {
            field(line, 12).append(TimeUnit.NANOSECONDS.toMicros(record.durationNanos()) / 1000.0);
        }
        text(line, 13, record.outcome());
        log.info(line.append('}').toString());
    }

    private StringBuilder field(StringBuilder line, int index) {
        if (line.length() > 1) {
            line.append(',');
        }
        return line.append('"').append(FIELDS.get(index)).append("\":");
    }

    private void number(StringBuilder line, int index, long value) {
        if (wanted[index]) {
            field(line, index).append(value);
        }
    }

    /** A string field; left out when empty, as an absent value. */
    private void text(StringBuilder line, int index, String value) {
        if (!wanted[index] || value.isEmpty()) {
            return;
        }
        field(line, index).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> line.append("\\\"");
                case '\\' -> line.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        line.append(String.format("\\u%04x", (int) c));
                    } else {
                        line.append(c);
                    }
                }
            }
        }
        line.append('"');
    }
}
