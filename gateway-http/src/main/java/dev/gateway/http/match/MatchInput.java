package dev.gateway.http.match;

import dev.gateway.http.FilteredRequest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A request's path as endpoint rules match it, worked out once per request and shared by every plugin: decoded
 * (Tyk matches the decoded path, so {@code /%61dmin} is {@code /admin} to a rule), without its trailing slash (so
 * {@code /admin/} meets an exact {@code /admin} rule), and both under the listen path and whole. The path is the
 * canonical one: runs of slashes are merged, dot segments and encoded slashes were refused before routing.
 */
public final class MatchInput {

    private static final FilteredRequest.Key<MatchInput> KEY = new FilteredRequest.Key<>("endpoint-match-input");

    /** The path below the listen path, as entries usually name it: {@code /users/1} of {@code /api/users/1}. */
    final String underListenPath;
    /** The whole path, listen path included. */
    final String fullPath;

    private MatchInput(String underListenPath, String fullPath) {
        this.underListenPath = underListenPath;
        this.fullPath = fullPath;
    }

    /** The request's match input, made on first use. */
    public static MatchInput of(FilteredRequest request) {
        MatchInput input = request.get(KEY);
        if (input == null) {
            input = of(request.path(), request.route().listenPath());
            request.set(KEY, input);
        }
        return input;
    }

    /** The match input of {@code path} under {@code listenPath} (normalized: no trailing slash but {@code /}). */
    public static MatchInput of(String path, String listenPath) {
        String full = withoutTrailingSlash(decode(path));
        String under = full;
        if (listenPath.length() > 1 && full.startsWith(listenPath)) {
            under = full.length() == listenPath.length() ? "/" : full.substring(listenPath.length());
        }
        return new MatchInput(under, full);
    }

    private static String withoutTrailingSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    /** Percent-decoded as UTF-8; the path policy has refused broken escapes, and encoded slashes and NULs. */
    public static String decode(String path) {
        int first = path.indexOf('%');
        if (first < 0) {
            return path;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(path.length());
        bytes.write(path.getBytes(StandardCharsets.UTF_8), 0, first);
        for (int i = first; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length() && hex(path.charAt(i + 1)) >= 0 && hex(path.charAt(i + 2)) >= 0) {
                bytes.write(hex(path.charAt(i + 1)) * 16 + hex(path.charAt(i + 2)));
                i += 2;
            } else {
                byte[] raw = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(raw, 0, raw.length);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }
}
