package dev.gateway.plugins.internal;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ApiVersion;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.ResponseFilter;
import dev.gateway.http.match.EndpointRules;
import java.util.ArrayList;
import java.util.List;

/**
 * Compiles an API's endpoint plugins and IP lists into its filters, in the order Tyk's chain runs them: endpoint
 * access ({@code ignored}, {@code black_list}, {@code white_list}), the IP allow and block lists, size limits,
 * header transforms, URL rewrites, then, where Tyk's proxy applies them, hard timeouts and circuit breakers. Only
 * the plugins an API uses become filters, so an API without any pays nothing.
 */
public final class PluginCompiler {

    /** Set on a request an {@code ignored} entry matched. */
    public static final FilteredRequest.Key<Boolean> IGNORED = EndpointAccessFilter.IGNORED;

    private final EndpointRules.Matching matching;
    private final Breakers breakers;

    public PluginCompiler(GatewayConfig config, Breakers breakers) {
        this.matching = new EndpointRules.Matching(config.httpServerOptions().enablePathPrefixMatching(),
                config.httpServerOptions().enablePathSuffixMatching(), config.ignoreEndpointCase());
        this.breakers = breakers;
    }

    public List<RequestFilter> requestFilters(ApiDefinition api) {
        ApiVersion version = api.versionData().effective();
        List<RequestFilter> filters = new ArrayList<>(7);
        if (version != null) {
            add(filters, EndpointAccessFilter.of(version, matching));
        }
        add(filters, IpAccessFilter.of(api));
        if (version != null) {
            add(filters, SizeLimitFilter.of(version, matching));
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

    private static void add(List<RequestFilter> filters, RequestFilter filter) {
        if (filter != null) {
            filters.add(filter);
        }
    }
}
