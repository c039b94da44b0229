package dev.gateway.http.internal.exchange;

/**
 * The one path the router, every filter and the upstream see. A proxy that routes on the path as sent while its
 * upstream decodes and resolves it first can be walked past: {@code /api/..%2fadmin} matches {@code /api/} here
 * and is {@code /admin} to a server that decodes {@code %2F} before it resolves dot segments. So a path is either
 * made canonical before routing, and sent upstream in that form, or refused:
 *
 * <ul>
 *   <li><b>refused</b> (400): a dot segment, {@code .} or {@code ..}, also percent-encoded ({@code %2e}) and
 *       also followed by {@code ;} parameters, as Tomcat and Spring strip them ({@code /..;/admin}); an encoded
 *       slash or backslash ({@code %2F}, {@code %5C}); a raw backslash, which IIS and some frameworks read as a
 *       slash; an encoded NUL ({@code %00}), which ends the string in C upstreams; a {@code %} that does not begin
 *       two hex digits, which each decoder repairs its own way.</li>
 *   <li><b>made canonical</b>: runs of slashes ({@code //x}) are merged into one, as nginx and Envoy's
 *       {@code merge_slashes} match them, and the merged path goes upstream.</li>
 * </ul>
 *
 * Everything else passes byte for byte, {@code ;} parameters and other escapes included: the gateway never
 * decodes a path it forwards.
 */
final class PathPolicy {

    private PathPolicy() {
    }

    /** The canonical form of {@code path}, or {@code null} when it must be refused. */
    static String canonical(String path) {
        if (path.indexOf('\\') >= 0 || path.indexOf('%') >= 0 && !escapesAreSafe(path)) {
            return null;
        }
        String merged = path.contains("//") ? mergeSlashes(path) : path;
        return hasDotSegment(merged) ? null : merged;
    }

    /** Every {@code %} begins two hex digits, and none spells a slash, a backslash or NUL. */
    private static boolean escapesAreSafe(String path) {
        for (int i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
            if (i + 2 >= path.length()) {
                return false;
            }
            int high = Character.digit(path.charAt(i + 1), 16);
            int low = Character.digit(path.charAt(i + 2), 16);
            if (high < 0 || low < 0) {
                return false;
            }
            int decoded = high << 4 | low;
            if (decoded == '/' || decoded == '\\' || decoded == 0) {
                return false;
            }
        }
        return true;
    }

    private static String mergeSlashes(String path) {
        StringBuilder merged = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c != '/' || merged.length() == 0 || merged.charAt(merged.length() - 1) != '/') {
                merged.append(c);
            }
        }
        return merged.toString();
    }

    /**
     * {@code /a/../b} could route under one listen path and resolve under another upstream: refused rather than
     * resolved, since no well-behaved client sends one. {@code %2e} is the same character as {@code .}
     * (RFC 3986 section 2.3), and a segment's {@code ;} parameters are no part of its name to Tomcat or Spring.
     */
    private static boolean hasDotSegment(String path) {
        int start = 0;
        while (start < path.length()) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            int parameters = path.indexOf(';', start);
            int nameEnd = parameters >= 0 && parameters < end ? parameters : end;
            if (isDots(path, start, nameEnd)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    /** Whether {@code path[from, to)} is {@code .} or {@code ..}, each dot perhaps spelt {@code %2e}. */
    private static boolean isDots(String path, int from, int to) {
        int dots = 0;
        int i = from;
        while (i < to) {
            if (path.charAt(i) == '.') {
                i++;
            } else if (i + 3 <= to && path.regionMatches(true, i, "%2e", 0, 3)) {
                i += 3;
            } else {
                return false;
            }
            dots++;
        }
        return dots == 1 || dots == 2;
    }
}
