package dev.gateway.core.config;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * How an endpoint plugin's {@code path} becomes a pattern, as Tyk compiles it: {@code {name}} segments match one
 * segment ({@code ([^/]+)}), a {@code *} segment matches one segment, a {@code *} at the end the rest of the
 * path, and everything else is a regular expression
 * (Go's {@code (?P<name>)} groups read as Java's {@code (?<name>)}). By default the pattern may match anywhere in
 * the path; {@code enable_path_prefix_matching} anchors it at the start, {@code enable_path_suffix_matching} at
 * the end.
 *
 * <p>One change from Tyk: a trailing slash never counts. The entry {@code /admin/} is {@code /admin}, and the
 * request path is matched without its trailing slash, so {@code /admin/} cannot slip past an exact
 * {@code /admin} rule.
 */
public final class EndpointPaths {

    private EndpointPaths() {
    }

    /** The regular expression for a Tyk path, not yet anchored. */
    public static String regex(String tykPath) {
        String path = tykPath;
        if (path.length() > 1 && path.endsWith("/") && !path.endsWith("\\/")) {
            path = path.substring(0, path.length() - 1);
        }
        long open = path.chars().filter(c -> c == '{').count();
        if (open > 0 && open == path.chars().filter(c -> c == '}').count()) {
            path = path.replaceAll("\\{[^{}]*}", "([^/]+)");
        }
        path = path.replace("/*/", "/[^/]+/").replace("/*", "/.*");
        return path.replace("(?P<", "(?<");
    }

    /**
     * The compiled pattern of a Tyk path.
     *
     * @param prefix anchor at the start ({@code enable_path_prefix_matching})
     * @param suffix anchor at the end ({@code enable_path_suffix_matching})
     * @throws PatternSyntaxException when the path is not a usable regular expression
     */
    public static Pattern compile(String tykPath, boolean ignoreCase, boolean prefix, boolean suffix) {
        String regex = regex(tykPath);
        if (prefix && regex.startsWith("/")) {
            regex = "^" + regex;
        }
        if (suffix && !regex.endsWith("$")) {
            regex = regex + "$";
        }
        return Pattern.compile(regex, ignoreCase ? Pattern.CASE_INSENSITIVE : 0);
    }
}
