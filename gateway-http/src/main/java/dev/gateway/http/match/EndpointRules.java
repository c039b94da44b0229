package dev.gateway.http.match;

import dev.gateway.core.config.ApiVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One plugin's entries, compiled at load: each a path pattern, a method (any when empty) and what the plugin does
 * there. A request meets the first entry, in the file's order, whose method and path match, as in Tyk.
 *
 * <p>Where the path is looked for: below the listen path, as entries are usually written, and in the whole path
 * from its start, so that an entry may name the listen path as well, as Tyk allows (a gRPC method's
 * {@code /pkg.Service/Method} under the listen path {@code /pkg.Service}). A pattern is never looked for inside the
 * whole path: there it could match inside the listen path itself, and one entry would cover every endpoint (Tyk's
 * issue 2933).
 */
public final class EndpointRules<T> {

    /**
     * @param below the pattern for the path below the listen path
     * @param whole the pattern anchored at the start, for the whole path
     */
    private record Rule<T>(PathTest below, PathTest whole, String method, T value) {
    }

    private final Rule<T>[] rules;

    private EndpointRules(Rule<T>[] rules) {
        this.rules = rules;
    }

    /** How patterns are compiled: Tyk's gateway-wide matching switches and case rule. */
    public record Matching(boolean prefix, boolean suffix, boolean ignoreCase) {
    }

    /** Builds rules one entry at a time. */
    public static final class Builder<T> {
        private final Matching matching;
        private final List<Rule<T>> rules = new ArrayList<>();

        private Builder(Matching matching) {
            this.matching = matching;
        }

        /**
         * Adds an entry.
         *
         * @param ignoreCase the entry's own case rule, besides the gateway's
         */
        public Builder<T> add(String path, String method, boolean ignoreCase, T value) {
            boolean caseless = ignoreCase || matching.ignoreCase();
            PathTest below = PathTest.of(path, caseless, matching.prefix(), matching.suffix());
            PathTest whole = matching.prefix() ? below : PathTest.of(path, caseless, true, matching.suffix());
            rules.add(new Rule<>(below, whole, method, value));
            return this;
        }

        /**
         * Adds an entry whose pattern must match the whole path, whatever the matching switches say: an allow rule
         * ({@code white_list}, {@code ignored}) lets through what it names and nothing that merely contains it.
         */
        public Builder<T> addWhole(String path, String method, boolean ignoreCase, T value) {
            PathTest test = PathTest.of(path, ignoreCase || matching.ignoreCase(), true, true);
            rules.add(new Rule<>(test, test, method, value));
            return this;
        }

        /** Adds every enabled entry of {@code entries}, each doing what {@code value} makes of it. */
        public <E extends ApiVersion.Entry> Builder<T> addAll(List<E> entries, Function<E, T> value) {
            for (E entry : entries) {
                if (!entry.disabled()) {
                    add(entry.path(), entry.method(), false, value.apply(entry));
                }
            }
            return this;
        }

        @SuppressWarnings("unchecked")
        public EndpointRules<T> build() {
            return new EndpointRules<>(rules.toArray(Rule[]::new));
        }
    }

    public static <T> Builder<T> builder(Matching matching) {
        return new Builder<>(matching);
    }

    public boolean isEmpty() {
        return rules.length == 0;
    }

    /** What the first entry that matches {@code method} and the request's path does; {@code null} for none. */
    public T first(MatchInput input, String method) {
        for (Rule<T> rule : rules) {
            if ((rule.method.isEmpty() || rule.method.equals(method)) && matches(rule, input)) {
                return rule.value;
            }
        }
        return null;
    }

    private static boolean matches(Rule<?> rule, MatchInput input) {
        return rule.below.test(input.underListenPath)
                || input.fullPath != input.underListenPath && rule.whole.test(input.fullPath);
    }
}
