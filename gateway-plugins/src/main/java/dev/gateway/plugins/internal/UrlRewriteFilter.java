package dev.gateway.plugins.internal;

import dev.gateway.core.config.ApiVersion;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.match.EndpointRules;
import dev.gateway.http.match.MatchInput;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code url_rewrites}: for the first entry whose path and method match, its {@code match_pattern} is looked for in
 * the request's path and query ({@code /api/users/7?full=1}, listen path included, as Tyk matches it), and the
 * target ({@code rewrite_to}, or that of the first trigger that wins) with {@code $1} and Tyk's variables filled in
 * becomes the path and query the upstream gets. A pattern that does not match leaves the request as it came. The
 * listen path is stripped from the new path only when the API strips it and the new path starts with it. For a
 * gRPC call the path is {@code /package.Service/Method}, so a rewrite sends the call to another method or service.
 *
 * <p>The path the rewrite makes is held to the same policy as a client's: one with a dot segment or an encoded
 * slash is refused with 400 before it goes anywhere, whatever a request value put into it.
 */
final class UrlRewriteFilter implements RequestFilter {

    private record Rewrite(Pattern pattern, Template target, RewriteTrigger[] triggers) {
    }

    private final EndpointRules<Rewrite> rules;

    private UrlRewriteFilter(EndpointRules<Rewrite> rules) {
        this.rules = rules;
    }

    /** The filter for {@code version}'s rewrites; {@code null} when it has none. */
    static UrlRewriteFilter of(ApiVersion version, EndpointRules.Matching matching) {
        EndpointRules.Builder<Rewrite> builder = EndpointRules.builder(matching);
        List<ApiVersion.UrlRewrite> entries = version.useExtendedPaths() ? version.extendedPaths().urlRewrites()
                : List.of();
        for (ApiVersion.UrlRewrite entry : entries) {
            if (entry.disabled() || leavesTheApi(entry.rewriteTo())) {
                continue; // the load warned: another host is out of scope
            }
            RewriteTrigger[] triggers = new RewriteTrigger[entry.triggers().size()];
            for (int i = 0; i < triggers.length; i++) {
                triggers[i] = leavesTheApi(entry.triggers().get(i).rewriteTo()) ? null
                        : RewriteTrigger.of(i, entry.triggers().get(i));
            }
            builder.add(entry.path(), entry.method(), false, new Rewrite(
                    Pattern.compile(entry.matchPattern().replace("(?P<", "(?<")),
                    Template.compile(entry.rewriteTo(), true, true),
                    java.util.Arrays.stream(triggers).filter(java.util.Objects::nonNull)
                            .toArray(RewriteTrigger[]::new)));
        }
        EndpointRules<Rewrite> rules = builder.build();
        return rules.isEmpty() ? null : new UrlRewriteFilter(rules);
    }

    static boolean leavesTheApi(String target) {
        String lower = target.toLowerCase(Locale.ROOT);
        return lower.startsWith("tyk://") || lower.startsWith("http://") || lower.startsWith("https://");
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        Rewrite rewrite = rules.first(MatchInput.of(request), request.head().method().name());
        if (rewrite == null) {
            return FilterDecision.proceed();
        }
        Map<String, String> captures = rewrite.triggers().length == 0 ? Map.of() : new HashMap<>();
        Template target = rewrite.target();
        for (RewriteTrigger trigger : rewrite.triggers()) {
            if (trigger.matches(request, captures)) {
                target = trigger.target;
                break;
            }
        }
        String url = request.query() == null ? request.path() : request.path() + "?" + request.query();
        Matcher m = rewrite.pattern().matcher(url);
        if (!m.find()) {
            if (url.indexOf('%') < 0) {
                return FilterDecision.proceed();
            }
            m = rewrite.pattern().matcher(MatchInput.decode(url));
            if (!m.find()) {
                return FilterDecision.proceed();
            }
        }
        apply(request, target.render(request, m, captures));
        return FilterDecision.proceed();
    }

    /** Points the request at {@code rewritten}, a path with or without a query. */
    private static void apply(FilteredRequest request, String rewritten) {
        int question = rewritten.indexOf('?');
        String path = question < 0 ? rewritten : rewritten.substring(0, question);
        String query = question < 0 ? null : rewritten.substring(question + 1);
        if (!path.startsWith("/")) {
            path = "/" + path;
        }
        String listenPath = request.route().listenPath();
        if (request.route().api().proxy().stripListenPath() && listenPath.length() > 1 && path.startsWith(listenPath)
                && (path.length() == listenPath.length() || path.charAt(listenPath.length()) == '/')) {
            path = path.length() == listenPath.length() ? "/" : path.substring(listenPath.length());
        }
        request.rewrite(path, query);
    }
}
