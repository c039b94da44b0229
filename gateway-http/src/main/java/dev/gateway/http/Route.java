package dev.gateway.http;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.lb.Target;
import dev.gateway.core.lb.TargetGroup;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An HTTP route: a domain and a listen path on one port, owned by one API. Everything the proxy needs per
 * request is resolved here at load, so the request path only looks things up.
 */
public final class Route {

    private final ApiDefinition api;
    private final String domain;
    private final String listenPath;
    private final TargetGroup targets;
    private final Map<Target, UpstreamEndpoint> endpoints;
    /** For calls that must stay HTTP/2 (gRPC): {@code https} targets asked for {@code h2} by ALPN. */
    private final Map<Target, UpstreamEndpoint> http2Endpoints;
    /**
     * Targets that service discovery added after load, by equality: {the endpoint, the HTTP/2 endpoint}. Rare
     * and few, so they are compiled on first use.
     */
    private final Map<Target, UpstreamEndpoint[]> discovered = new ConcurrentHashMap<>();
    private final boolean insecure;
    private final boolean proxyHttp2;
    /** The request path goes upstream as it came: nothing stripped, nothing to join. */
    private final boolean passThrough;
    private final List<RequestFilter> filters;
    private final List<ResponseFilter> responseFilters;

    /**
     * @param proxyHttp2 {@code proxy_enable_http2}: every request to an {@code https} target goes over HTTP/2
     */
    Route(ApiDefinition api, String listenPath, TargetGroup targets, boolean insecureSkipVerify, boolean proxyHttp2,
            List<RequestFilter> filters, List<ResponseFilter> responseFilters) {
        this.api = api;
        this.filters = List.copyOf(filters);
        this.responseFilters = List.copyOf(responseFilters);
        this.domain = api.domain();
        this.listenPath = listenPath;
        this.targets = targets;
        this.endpoints = new IdentityHashMap<>();
        this.http2Endpoints = new IdentityHashMap<>();
        this.passThrough = !api.proxy().stripListenPath() || listenPath.length() == 1;
        this.insecure = insecureSkipVerify || api.proxy().transport().sslInsecureSkipVerify();
        this.proxyHttp2 = proxyHttp2;
        for (Target target : targets.targets()) {
            UpstreamEndpoint[] compiled = compile(target);
            endpoints.put(target, compiled[0]);
            http2Endpoints.put(target, compiled[1]);
        }
    }

    /** {the endpoint for any request, the endpoint for calls that need HTTP/2}. */
    private UpstreamEndpoint[] compile(Target target) {
        UpstreamEndpoint endpoint = UpstreamEndpoint.of(target, insecure);
        UpstreamEndpoint http2 = endpoint.tls() ? endpoint.overHttp2() : endpoint;
        return new UpstreamEndpoint[] {proxyHttp2 ? http2 : endpoint, http2};
    }

    public ApiDefinition api() {
        return api;
    }

    /** The API's request chain, in order; empty for most. */
    public List<RequestFilter> filters() {
        return filters;
    }

    /** The API's response chain, in order; empty for most. */
    public List<ResponseFilter> responseFilters() {
        return responseFilters;
    }

    public String apiId() {
        return api.apiId();
    }

    /** The host this route answers for; empty for any. */
    public String domain() {
        return domain;
    }

    /** The normalized listen path: leading slash, no trailing slash except {@code /} itself. */
    public String listenPath() {
        return listenPath;
    }

    public TargetGroup targets() {
        return targets;
    }

    /** The pooled-connection key of one of this route's targets. */
    public UpstreamEndpoint endpoint(Target target) {
        return endpoint(target, false);
    }

    /**
     * The pooled-connection key of one of this route's targets for a call that needs HTTP/2 end to end: gRPC goes
     * to {@code https} targets over {@code h2} even without {@code proxy_enable_http2}.
     */
    public UpstreamEndpoint endpoint(Target target, boolean needsHttp2) {
        UpstreamEndpoint loaded = needsHttp2 ? http2Endpoints.get(target) : endpoints.get(target);
        if (loaded != null) {
            return loaded;
        }
        return discovered.computeIfAbsent(target, this::compile)[needsHttp2 ? 1 : 0];
    }

    /**
     * True when {@code path} lies under the listen path at a segment boundary: {@code /api} matches {@code /api},
     * {@code /api/} and {@code /api/x}, never {@code /apix}.
     */
    boolean matches(String path) {
        if (listenPath.length() == 1) {
            return true;
        }
        return path.startsWith(listenPath)
                && (path.length() == listenPath.length() || path.charAt(listenPath.length()) == '/');
    }

    /**
     * The upstream request target: the path with the listen path stripped when the API asks, joined onto the
     * target's path, then the target's query followed by the request's.
     */
    public String upstreamUri(Target target, String path, String query) {
        ApiDefinition.Proxy proxy = api.proxy();
        if (passThrough && target.basePath().isEmpty() && target.query().isEmpty()) {
            return query == null ? path : path + "?" + query;
        }
        String sub = proxy.stripListenPath() && listenPath.length() > 1 ? path.substring(listenPath.length()) : path;
        String joined = joinPaths(target.basePath(), sub, proxy.disableStripSlash());
        return withQuery(joined, target.query(), query);
    }

    private static String withQuery(String joined, String targetQuery, String query) {
        if (targetQuery.isEmpty() && query == null) {
            return joined;
        }
        StringBuilder uri = new StringBuilder(joined.length() + 32).append(joined).append('?');
        if (!targetQuery.isEmpty()) {
            uri.append(targetQuery);
            if (query != null && !query.isEmpty()) {
                uri.append('&');
            }
        }
        if (query != null) {
            uri.append(query);
        }
        return uri.toString();
    }

    /**
     * The upstream request target for a request a filter rewrote: {@code path} joined onto the target's path as it
     * is (a rewrite names the path under the target, so no listen path is stripped), then the target's query
     * followed by {@code query}.
     */
    public String rewrittenUri(Target target, String path, String query) {
        String joined = joinPaths(target.basePath(), path, api.proxy().disableStripSlash());
        return withQuery(joined, target.query(), query);
    }

    /**
     * Joins the target's path and the request's with one slash between them, as Tyk does. A request for the bare
     * root of the API goes to the target path as written only with {@code disable_strip_slash}; otherwise its
     * trailing slash is folded away.
     */
    static String joinPaths(String base, String sub, boolean disableStripSlash) {
        if (disableStripSlash && (sub.isEmpty() || sub.equals("/"))) {
            return base.isEmpty() ? "/" : base;
        }
        int baseEnd = base.length();
        while (baseEnd > 0 && base.charAt(baseEnd - 1) == '/') {
            baseEnd--;
        }
        int subStart = 0;
        while (subStart < sub.length() && sub.charAt(subStart) == '/') {
            subStart++;
        }
        if (subStart == sub.length()) {
            return baseEnd == 0 ? "/" : base.substring(0, baseEnd);
        }
        return base.substring(0, baseEnd) + "/" + sub.substring(subStart);
    }

    @Override
    public String toString() {
        return (domain.isEmpty() ? "*" : domain) + listenPath + " -> " + api.apiId();
    }
}
