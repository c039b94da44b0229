package dev.gateway.plugins.internal;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ApiVersion;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.ResponseFilter;
import dev.gateway.http.match.EndpointRules;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Compiles an API's endpoint plugins and IP lists into its filters, in the order Tyk's chain runs them: endpoint
 * access ({@code ignored}, {@code black_list}, {@code white_list}), the IP allow and block lists, size limits,
 * then the API's access filters (authentication, key checks, rate limits: another module's, handed in), header
 * transforms, URL rewrites, then, where Tyk's proxy applies them, hard timeouts and circuit breakers. Only the
 * plugins an API uses become filters, so an API without any pays nothing. A request an {@code ignored} entry
 * matched skips the access filters, as Tyk's authentication lets it through.
 */
public final class PluginCompiler {

    /** Set on a request an {@code ignored} entry matched. */
    public static final FilteredRequest.Key<Boolean> IGNORED = EndpointAccessFilter.IGNORED;

    private final EndpointRules.Matching matching;
    private final Breakers breakers;
    private final Function<ApiDefinition, List<RequestFilter>> access;

    /** @param access each API's access filters, run after the size limits and before the transforms */
    public PluginCompiler(GatewayConfig config, Breakers breakers,
            Function<ApiDefinition, List<RequestFilter>> access) {
        this.access = access;
        this.matching = new EndpointRules.Matching(config.httpServerOptions().enablePathPrefixMatching(),
                config.httpServerOptions().enablePathSuffixMatching(), config.ignoreEndpointCase());
        this.breakers = breakers;
    }

    public List<RequestFilter> requestFilters(ApiDefinition api) {
        ApiVersion version = api.versionData().effective();
        List<RequestFilter> filters = new ArrayList<>(7);
        RequestFilter endpointAccess = version == null ? null : EndpointAccessFilter.of(version, matching);
        add(filters, endpointAccess);
        add(filters, IpAccessFilter.of(api));
        if (version != null) {
            add(filters, SizeLimitFilter.of(version, matching));
        }
        for (RequestFilter filter : access.apply(api)) {
            filters.add(endpointAccess != null ? new UnlessIgnored(filter) : filter);
        }
        if (version != null) {
            add(filters, HeaderTransformFilter.of(version, matching));
            add(filters, UrlRewriteFilter.of(version, matching));
            add(filters, HardTimeoutFilter.of(version, matching));
            add(filters, CircuitBreakerFilter.of(api.apiId(), version, matching, breakers));
        }
        return List.copyOf(filters);
    }

    public List<ResponseFilter> responseFilters(ApiDefinition api) {
        ApiVersion version = api.versionData().effective();
        ResponseFilter headers = version == null ? null : ResponseHeaderFilter.of(version, matching);
        return headers == null ? List.of() : List.of(headers);
    }

    /** An access filter that lets a request an {@code ignored} entry matched through untouched. */
    private record UnlessIgnored(RequestFilter filter) implements RequestFilter {
        @Override
        public FilterDecision filter(FilteredRequest request) {
            return Boolean.TRUE.equals(request.get(IGNORED)) ? FilterDecision.proceed() : filter.filter(request);
        }
    }

    private static void add(List<RequestFilter> filters, RequestFilter filter) {
        if (filter != null) {
            filters.add(filter);
        }
    }
}
