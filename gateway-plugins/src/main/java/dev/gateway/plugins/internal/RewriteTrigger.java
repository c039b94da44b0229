package dev.gateway.plugins.internal;

import dev.gateway.core.config.ApiVersion;
import dev.gateway.http.FilteredRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One of a rewrite's {@code triggers}, compiled at load: its options (request headers, query values, path segments,
 * each with a pattern), whether {@code any} or {@code all} of them must match, and the target that wins when they
 * do. What the patterns capture becomes {@code $tyk_context.trigger-N-Name-I} (the whole match of the I-th value
 * that matched) and {@code ...-I-G} (its group G, from 0), for the target to use, as in Tyk.
 */
final class RewriteTrigger {

    private enum Source { HEADER, QUERY, PATH_PART }

    private record Option(Source source, String name, Pattern pattern, boolean reverse) {
    }

    private final int index;
    private final boolean all;
    private final Option[] options;
    final Template target;

    private RewriteTrigger(int index, boolean all, Option[] options, Template target) {
        this.index = index;
        this.all = all;
        this.options = options;
        this.target = target;
    }

    static RewriteTrigger of(int index, ApiVersion.Trigger trigger) {
        List<Option> options = new ArrayList<>();
        add(options, Source.HEADER, trigger.options().headerMatches());
        add(options, Source.QUERY, trigger.options().queryValMatches());
        add(options, Source.PATH_PART, trigger.options().pathPartMatches());
        // Session metadata, request context and payload options never match here; the load warned about them.
        boolean never = !trigger.options().sessionMetaMatches().isEmpty()
                || !trigger.options().requestContextMatches().isEmpty()
                || trigger.options().payloadMatches() != null && !trigger.options().payloadMatches().matchRx().isEmpty();
        boolean all = !trigger.on().equals("any");
        if (never && all) {
            options.clear(); // an "all" trigger with an option that never matches can never win
        }
        return new RewriteTrigger(index, all, options.toArray(Option[]::new),
                Template.compile(trigger.rewriteTo(), true, true));
    }

    private static void add(List<Option> options, Source source, Map<String, ApiVersion.Match> matches) {
        matches.forEach((name, match) -> options.add(new Option(source,
                source == Source.HEADER ? canonical(name) : name,
                Pattern.compile(match.matchRx().replace("(?P<", "(?<")), match.reverse())));
    }

    /** Go's canonical header key, as Tyk names a header's captures: {@code x-api-key} is {@code X-Api-Key}. */
    static String canonical(String name) {
        StringBuilder out = new StringBuilder(name.length());
        boolean upper = true;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            out.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
            upper = c == '-';
        }
        return out.toString();
    }

    /** Whether the trigger wins for {@code request}; what its options captured goes into {@code captures}. */
    boolean matches(FilteredRequest request, Map<String, String> captures) {
        if (options.length == 0) {
            return false;
        }
        int matched = 0;
        for (Option option : options) {
            if (matches(option, request, captures)) {
                matched++;
                if (!all) {
                    return true;
                }
            } else if (all) {
                return false;
            }
        }
        return matched > 0;
    }

    private boolean matches(Option option, FilteredRequest request, Map<String, String> captures) {
        List<String> values = values(option, request);
        if (values.isEmpty()) {
            return false; // Tyk: the header, parameter or segment must be there, reverse or not
        }
        int hit = 0;
        for (String value : values) {
            Matcher m = option.pattern.matcher(value);
            if (m.find()) {
                if (!option.reverse) {
                    String key = "trigger-" + index + "-" + option.name + "-" + hit;
                    captures.put(key, m.group());
                    for (int g = 1; g <= m.groupCount(); g++) {
                        captures.put(key + "-" + (g - 1), m.group(g) == null ? "" : m.group(g));
                    }
                }
                hit++;
            }
        }
        return option.reverse ? hit == 0 : hit > 0;
    }

    private static List<String> values(Option option, FilteredRequest request) {
        return switch (option.source) {
            case HEADER -> request.head().headers().getAll(option.name);
            case QUERY -> request.queryParameter(option.name);
            case PATH_PART -> {
                List<String> parts = new ArrayList<>();
                for (String part : request.path().split("/")) {
                    if (!part.isEmpty()) {
                        parts.add(part);
                    }
                }
                yield parts;
            }
        };
    }
}
