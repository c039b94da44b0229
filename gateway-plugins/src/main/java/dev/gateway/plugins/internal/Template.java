package dev.gateway.plugins.internal;

import dev.gateway.http.FilteredRequest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A header value or a rewrite target with Tyk's variables in it, parsed at load into literal and variable parts:
 * <ul>
 *   <li>{@code $1}, {@code $2}: a group of the rewrite's {@code match_pattern} ({@code $0} the whole match);</li>
 *   <li>{@code $tyk_context.headers_X_Name}: a request header ({@code _} for {@code -}),
 *       {@code $tyk_context.request_data_name}: a query parameter, {@code $tyk_context.cookies_name}: a cookie,
 *       {@code $tyk_context.path}, {@code $tyk_context.remote_addr}, and a rewrite trigger's captures
 *       ({@code $tyk_context.trigger-0-X-Name-0});</li>
 *   <li>{@code $secret_env.name}: the environment variable {@code TYK_SECRET_NAME}, read at load;</li>
 *   <li>{@code $tyk_meta.name}: a key's metadata, empty until keys are implemented.</li>
 * </ul>
 * A variable that names nothing is empty, as in Tyk. In a rewrite target, request values are URL-encoded (those
 * starting with {@code http} excepted, as Tyk does), so a header cannot smuggle a path or a query into it.
 */
final class Template {

    private static final Pattern VARIABLE = Pattern.compile(
            "\\$tyk_context\\.([A-Za-z0-9_\\-.]+)|\\$tyk_meta\\.([A-Za-z0-9_\\-.]+)"
                    + "|\\$secret_env\\.([A-Za-z0-9_\\-.]+)|\\$(\\d+)");
    private static final String HEADERS = "headers_";
    private static final String REQUEST_DATA = "request_data_";
    private static final String COOKIES = "cookies_";

    /** One part: a literal, a match group, or a context variable. */
    private record Part(String literal, int group, String context) {
    }

    private final Part[] parts;
    private final boolean escape;

    private Template(Part[] parts, boolean escape) {
        this.parts = parts;
        this.escape = escape;
    }

    /**
     * @param groups {@code $1} names a match group (a rewrite target); elsewhere it is text
     * @param escape request values are URL-encoded (a rewrite target)
     */
    static Template compile(String text, boolean groups, boolean escape) {
        List<Part> parts = new ArrayList<>();
        Matcher m = VARIABLE.matcher(text);
        int at = 0;
        StringBuilder literal = new StringBuilder();
        while (m.find()) {
            if (m.group(4) != null && !groups) {
                continue;
            }
            literal.append(text, at, m.start());
            at = m.end();
            if (m.group(3) != null) {
                String secret = System.getenv("TYK_SECRET_" + m.group(3).toUpperCase(Locale.ROOT));
                literal.append(secret == null ? "" : secret);
            } else if (m.group(2) != null) {
                continue; // $tyk_meta: no sessions yet, so always empty
            } else {
                flush(literal, parts);
                parts.add(m.group(4) != null ? new Part(null, Integer.parseInt(m.group(4)), null)
                        : new Part(null, -1, m.group(1)));
            }
        }
        literal.append(text, at, text.length());
        flush(literal, parts);
        return new Template(parts.toArray(Part[]::new), escape);
    }

    private static void flush(StringBuilder literal, List<Part> parts) {
        if (literal.length() > 0) {
            parts.add(new Part(literal.toString(), -1, null));
            literal.setLength(0);
        }
    }

    /** The text when it has no variables, so nothing is rendered per request; {@code null} otherwise. */
    String constant() {
        if (parts.length == 0) {
            return "";
        }
        return parts.length == 1 && parts[0].literal != null ? parts[0].literal : null;
    }

    /**
     * @param match the rewrite's match, for {@code $1}; {@code null} elsewhere
     * @param captures a rewrite trigger's captures by context name; empty for none
     */
    String render(FilteredRequest request, MatchResult match, Map<String, String> captures) {
        String constant = constant();
        if (constant != null) {
            return constant;
        }
        StringBuilder out = new StringBuilder(64);
        for (Part part : parts) {
            if (part.literal != null) {
                out.append(part.literal);
            } else if (part.group >= 0) {
                if (match != null && part.group <= match.groupCount() && match.group(part.group) != null) {
                    out.append(match.group(part.group));
                }
            } else {
                String value = context(request, part.context, captures);
                out.append(escape && !value.startsWith("http") ? URLEncoder.encode(value, StandardCharsets.UTF_8)
                        : value);
            }
        }
        return out.toString();
    }

    private static String context(FilteredRequest request, String name, Map<String, String> captures) {
        String captured = captures.get(name);
        if (captured != null) {
            return captured;
        }
        if (name.startsWith(HEADERS)) {
            String value = request.head().headers().get(name.substring(HEADERS.length()).replace('_', '-'));
            return value == null ? "" : value;
        }
        if (name.startsWith(REQUEST_DATA)) {
            List<String> values = request.queryParameter(name.substring(REQUEST_DATA.length()));
            return values.isEmpty() ? "" : values.get(0);
        }
        if (name.startsWith(COOKIES)) {
            return request.cookie(name.substring(COOKIES.length()));
        }
        return switch (name) {
            case "path" -> request.path();
            case "remote_addr" -> request.client() == null || request.client().getAddress() == null ? ""
                    : request.client().getAddress().getHostAddress();
            default -> "";
        };
    }
}
