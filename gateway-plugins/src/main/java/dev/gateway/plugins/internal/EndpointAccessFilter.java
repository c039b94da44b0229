package dev.gateway.plugins.internal;

import dev.gateway.core.config.ApiVersion;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.match.EndpointRules;
import dev.gateway.http.match.MatchInput;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tyk's allow and deny of endpoints: {@code ignored}, {@code black_list} and {@code white_list}, in that order, the
 * first entry that matches deciding. A black-listed endpoint is refused; once any white-list entry exists, so is
 * every endpoint that no white-list or ignored entry names. Allow rules ({@code white_list}, {@code ignored}) match
 * the whole path, deny rules anywhere in it unless the matching switches anchor them: unanchored as in Tyk, an
 * allow rule for {@code /users/{id}} would also let {@code /users/7/delete} through, and one for a gRPC method
 * {@code /pkg.Svc/Get} every method whose name begins with {@code Get} (Tyk's issues 5786 and 3399). An ignored endpoint is let through and marked
 * {@link #IGNORED}, for authentication to skip. Entries in Tyk's older form ({@code method_actions}) count for the
 * methods they name: {@code no_action} lets the list decide, {@code reply} answers in place of the upstream.
 */
final class EndpointAccessFilter implements RequestFilter {

    /** Set on a request an {@code ignored} entry matched: authentication and limits leave it alone. */
    static final FilteredRequest.Key<Boolean> IGNORED = new FilteredRequest.Key<>("endpoint-ignored");

    private static final Logger log = LoggerFactory.getLogger(EndpointAccessFilter.class);

    /** What an entry does to a request it matches. */
    private sealed interface Access permits Listed, Reply {
    }

    private enum Listed implements Access { IGNORE, DENY, ALLOW }

    private record Reply(HttpResponseStatus status, HttpHeaders headers, String body) implements Access {
    }

    private final EndpointRules<Access> rules;
    private final boolean whiteListMode;

    private EndpointAccessFilter(EndpointRules<Access> rules, boolean whiteListMode) {
        this.rules = rules;
        this.whiteListMode = whiteListMode;
    }

    /** The filter for {@code version}'s lists; {@code null} when it has none. */
    static EndpointAccessFilter of(ApiVersion version, EndpointRules.Matching matching) {
        EndpointRules.Builder<Access> builder = EndpointRules.builder(matching);
        boolean whiteListMode;
        if (version.useExtendedPaths()) {
            ApiVersion.ExtendedPaths paths = version.extendedPaths();
            boolean versionCase = version.ignoreEndpointCase();
            addAll(builder, paths.ignored(), Listed.IGNORE, versionCase);
            addAll(builder, paths.blackList(), Listed.DENY, versionCase);
            addAll(builder, paths.whiteList(), Listed.ALLOW, versionCase);
            whiteListMode = paths.whiteList().stream().anyMatch(e -> !e.disabled());
        } else {
            ApiVersion.LegacyPaths paths = version.paths();
            paths.ignored().forEach(p -> builder.addWhole(p, "", version.ignoreEndpointCase(), Listed.IGNORE));
            paths.blackList().forEach(p -> builder.add(p, "", version.ignoreEndpointCase(), Listed.DENY));
            paths.whiteList().forEach(p -> builder.addWhole(p, "", version.ignoreEndpointCase(), Listed.ALLOW));
            whiteListMode = !paths.whiteList().isEmpty();
        }
        EndpointRules<Access> rules = builder.build();
        return rules.isEmpty() ? null : new EndpointAccessFilter(rules, whiteListMode);
    }

    private static void addAll(EndpointRules.Builder<Access> builder, List<ApiVersion.EndpointMeta> entries,
            Listed listed, boolean versionCase) {
        for (ApiVersion.EndpointMeta entry : entries) {
            if (entry.disabled()) {
                continue;
            }
            boolean ignoreCase = entry.ignoreCase() || versionCase;
            boolean whole = listed != Listed.DENY;
            if (entry.methodActions() == null) {
                add(builder, whole, entry.path(), entry.method(), ignoreCase, listed);
                continue;
            }
            // Tyk's older form: one entry per method it names; an empty map names none, and never matches.
            for (Map.Entry<String, ApiVersion.MethodAction> action : entry.methodActions().entrySet()) {
                add(builder, whole, entry.path(), action.getKey(), ignoreCase, access(listed, action.getValue()));
            }
        }
    }

    private static void add(EndpointRules.Builder<Access> builder, boolean whole, String path, String method,
            boolean ignoreCase, Access access) {
        if (whole) {
            builder.addWhole(path, method, ignoreCase, access);
        } else {
            builder.add(path, method, ignoreCase, access);
        }
    }

    private static Access access(Listed listed, ApiVersion.MethodAction action) {
        if (!action.action().equals("reply")) {
            return listed;
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        action.headers().forEach(headers::set);
        return new Reply(HttpResponseStatus.valueOf(action.code()), headers, action.data());
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        Access access = rules.first(MatchInput.of(request), request.head().method().name());
        if (access == Listed.IGNORE) {
            request.set(IGNORED, Boolean.TRUE);
            return FilterDecision.proceed();
        }
        if (access instanceof Reply reply) {
            return FilterDecision.answer(reply.status(), reply.headers(), reply.body());
        }
        if (access == Listed.DENY || access == null && whiteListMode) {
            ClientErrorLog.info(log, request.route().api().listenPort(),
                    "api={} client={} conn={} {} {} refused: the endpoint is {}", request.route().apiId(),
                    request.client(), request.connectionId(), request.head().method(), request.path(),
                    access == Listed.DENY ? "black-listed" : "not white-listed");
            return FilterDecision.refuse(ProxyFailure.ENDPOINT_FORBIDDEN);
        }
        return FilterDecision.proceed();
    }
}
