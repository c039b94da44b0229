package dev.gateway.auth.internal;

import dev.gateway.core.keys.Session;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.match.EndpointRules;
import dev.gateway.http.match.MatchInput;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tyk's granular access check: when the key's rights on this API list {@code allowed_urls}, the request's path and
 * method must meet one of them, or 403 "Access to this resource has been disallowed". A method must be named
 * exactly (an entry without methods allows none, as in Tyk). Like every allow rule here, a URL matches the whole
 * path, below the listen path or whole, decoded and without its trailing slash, so {@code //}, encoded letters and
 * a trailing slash meet the rule they should, and {@code /users/{id}} never lets {@code /users/7/delete} through
 * (Tyk searches the pattern anywhere in the path). For gRPC, {@code /{package.Service}/{Method}} names one method.
 *
 * <p>Sessions come and go, so their URL lists are compiled on first use and kept, up to
 * {@value #MAX_COMPILED} distinct lists; past that the table starts again.
 */
public final class UrlAccessFilter implements RequestFilter {

    /** Distinct allowed_urls lists kept compiled; keys sharing a policy share one. */
    static final int MAX_COMPILED = 10_000;

    private static final EndpointRules.Matching WHOLE = new EndpointRules.Matching(false, false, false);

    private final Map<List<Session.AllowedUrl>, EndpointRules<Boolean>> compiled = new ConcurrentHashMap<>();
    private final boolean ignoreCase;

    /** @param ignoreCase {@code tyk.conf}'s {@code ignore_endpoint_case} */
    public UrlAccessFilter(boolean ignoreCase) {
        this.ignoreCase = ignoreCase;
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        Session session = request.get(SessionKey.SESSION);
        Session.AccessRight right = session == null ? null : session.accessRight(request.route().apiId());
        if (right == null || right.allowedUrls().isEmpty()) {
            return FilterDecision.proceed();
        }
        Boolean allowed = rules(right.allowedUrls()).first(MatchInput.of(request), request.head().method().name());
        return allowed != null ? FilterDecision.proceed() : FilterDecision.refuse(ProxyFailure.RESOURCE_DENIED);
    }

    private EndpointRules<Boolean> rules(List<Session.AllowedUrl> urls) {
        EndpointRules<Boolean> rules = compiled.get(urls);
        if (rules == null) {
            if (compiled.size() >= MAX_COMPILED) {
                compiled.clear();
            }
            EndpointRules.Builder<Boolean> builder = EndpointRules.builder(WHOLE);
            for (Session.AllowedUrl url : urls) {
                for (String method : url.methods()) {
                    if (!url.url().isEmpty() && !method.isEmpty()) {
                        builder.addWhole(url.url(), method, ignoreCase, Boolean.TRUE);
                    }
                }
            }
            rules = builder.build();
            compiled.put(urls, rules);
        }
        return rules;
    }
}
