package dev.gateway.http.match;

/**
 * The longest run of plain characters a regular expression cannot match without: outside every group and class,
 * not followed by a quantifier that allows none of it, in an expression without alternation and without
 * {@code (?} constructs (an inline {@code (?i)} would change what the text must look like). {@code .} ends a run
 * (it is a wildcard), as does every escape. When in doubt there is no such text, and the expression simply runs.
 */
final class RequiredText {

    /** Shorter text filters too little to be worth a search. */
    private static final int MIN_LENGTH = 2;

    private RequiredText() {
    }

    /** The text, or {@code null} when none is certain. */
    static String of(String regex) {
        if (regex.indexOf('|') >= 0 || regex.contains("(?")) {
            return null;
        }
        String best = null;
        StringBuilder run = new StringBuilder();
        int depth = 0;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '?' || c == '*' || c == '{') {
                // The character before is optional or repeated from none: it is not required.
                if (run.length() > 0) {
                    run.setLength(run.length() - 1);
                }
                best = longer(best, run);
                run.setLength(0);
                if (c == '{') {
                    i = skipTo(regex, i, '}');
                }
                continue;
            }
            if (c == '\\' || c == '[' || c == '(' || c == ')' || c == '.' || c == '^' || c == '$' || c == '+') {
                // A run ends here; what it holds is required ('+' repeats its last character, once at least).
                if (depth == 0) {
                    best = longer(best, run);
                }
                run.setLength(0);
                if (c == '\\') {
                    i++;
                } else if (c == '[') {
                    i = skipClass(regex, i);
                } else if (c == '(') {
                    depth++;
                } else if (c == ')') {
                    depth = Math.max(0, depth - 1);
                    if (i + 1 < regex.length() && "?*{".indexOf(regex.charAt(i + 1)) >= 0) {
                        i++; // an optional group: nothing after it was required by it, and nothing in it counts
                        if (regex.charAt(i) == '{') {
                            i = skipTo(regex, i, '}');
                        }
                    }
                }
                continue;
            }
            if (depth == 0) {
                run.append(c);
            }
        }
        best = longer(best, run);
        return best != null && best.length() >= MIN_LENGTH ? best : null;
    }

    private static String longer(String best, StringBuilder run) {
        return run.length() > (best == null ? 0 : best.length()) ? run.toString() : best;
    }

    private static int skipTo(String regex, int from, char close) {
        int at = regex.indexOf(close, from);
        return at < 0 ? regex.length() : at;
    }

    /** The index of the {@code ]} that closes the class opened at {@code open}. */
    private static int skipClass(String regex, int open) {
        int i = open + 1;
        if (i < regex.length() && regex.charAt(i) == '^') {
            i++;
        }
        if (i < regex.length() && regex.charAt(i) == ']') {
            i++; // a ']' first in a class is a member
        }
        while (i < regex.length() && regex.charAt(i) != ']') {
            i += regex.charAt(i) == '\\' ? 2 : 1;
        }
        return Math.min(i, regex.length());
    }
}
