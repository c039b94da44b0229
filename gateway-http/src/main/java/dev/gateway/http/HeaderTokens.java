package dev.gateway.http;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;

/**
 * The tokens of a header whose value is a comma-separated list (RFC 9110, section 5.6.1), over all its fields:
 * {@code Connection}, {@code Upgrade}, {@code Transfer-Encoding}. Empty elements are skipped, as the RFC asks.
 */
public final class HeaderTokens {

    private HeaderTokens() {
    }

    /** The trimmed, non-empty tokens of every {@code name} field, in order; an empty list when there are none. */
    public static List<String> of(HttpHeaders headers, CharSequence name) {
        List<String> fields = headers.getAll(name);
        if (fields.isEmpty()) {
            return List.of();
        }
        List<String> tokens = new ArrayList<>(2);
        for (int f = 0; f < fields.size(); f++) {
            String field = fields.get(f);
            int start = 0;
            while (start <= field.length()) {
                int comma = field.indexOf(',', start);
                int end = comma < 0 ? field.length() : comma;
                String token = field.substring(start, end).trim();
                if (!token.isEmpty()) {
                    tokens.add(token);
                }
                start = end + 1;
            }
        }
        return tokens;
    }

    /** Whether some {@code name} field lists {@code token}, compared without case. */
    public static boolean contains(HttpHeaders headers, CharSequence name, String token) {
        List<String> tokens = of(headers, name);
        for (int i = 0; i < tokens.size(); i++) {
            if (tokens.get(i).equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }
}
