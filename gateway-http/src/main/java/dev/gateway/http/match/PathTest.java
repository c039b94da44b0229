package dev.gateway.http.match;

import dev.gateway.core.config.EndpointPaths;
import java.util.regex.Pattern;

/**
 * One entry's path, compiled at load into the cheapest test that means the same as Tyk's regular expression. Most
 * entries are plain paths ({@code /admin}, {@code /helloworld.Greeter/SayHello}): those are compared character by
 * character, a {@code .} matching any character as it does in the expression, with no {@code Matcher} made per
 * request. Anything else ({@code {id}} segments, groups, classes, quantifiers) runs as the expression, but only
 * once the longest text the expression cannot match without ({@code /internal/} of {@code /internal/{id}}) has
 * been found in the path: most requests miss most entries, and then no {@code Matcher} is made either.
 */
abstract class PathTest {

    /** Characters that make a path an expression; {@code .} is handled by the plain test. */
    private static final String SPECIAL = "\\^$|?*+()[]{}";

    abstract boolean test(String path);

    /**
     * @param start anchored at the start of the path
     * @param end anchored at its end
     */
    static PathTest of(String tykPath, boolean ignoreCase, boolean start, boolean end) {
        String regex = EndpointPaths.regex(tykPath);
        for (int i = 0; i < regex.length(); i++) {
            if (SPECIAL.indexOf(regex.charAt(i)) >= 0) {
                String required = RequiredText.of(regex);
                return new Expression(EndpointPaths.compile(tykPath, ignoreCase, start, end),
                        required == null ? null : new Plain(required, ignoreCase, false, false));
            }
        }
        return new Plain(regex, ignoreCase, start, end);
    }

    /** A regular expression, looked for in the path. */
    private static final class Expression extends PathTest {
        private final Pattern pattern;
        /** Text every match contains, looked for first; {@code null} when none is known. */
        private final Plain required;

        Expression(Pattern pattern, Plain required) {
            this.pattern = pattern;
            this.required = required;
        }

        @Override
        boolean test(String path) {
            return (required == null || required.test(path)) && pattern.matcher(path).find();
        }
    }

    /** Plain text where {@code .} matches any character, compared where the anchors allow. */
    private static final class Plain extends PathTest {
        private final String text;
        private final boolean ignoreCase;
        private final boolean start;
        private final boolean end;

        Plain(String text, boolean ignoreCase, boolean start, boolean end) {
            this.text = text;
            this.ignoreCase = ignoreCase;
            this.start = start;
            this.end = end;
        }

        @Override
        boolean test(String path) {
            int last = path.length() - text.length();
            if (last < 0) {
                return false;
            }
            if (start) {
                return (!end || last == 0) && at(path, 0);
            }
            if (end) {
                return at(path, last);
            }
            for (int i = 0; i <= last; i++) {
                if (at(path, i)) {
                    return true;
                }
            }
            return false;
        }

        private boolean at(String path, int offset) {
            for (int i = 0; i < text.length(); i++) {
                char want = text.charAt(i);
                char got = path.charAt(offset + i);
                if (want != '.' && want != got && !(ignoreCase && asciiFold(want) == asciiFold(got))) {
                    return false;
                }
            }
            return true;
        }

        /** Java's CASE_INSENSITIVE without UNICODE_CASE folds ASCII letters only; so does this. */
        private static char asciiFold(char c) {
            return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
        }
    }
}
