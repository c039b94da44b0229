package dev.gateway.http;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.lb.TargetGroup;
import dev.gateway.core.snapshot.GatewaySnapshot;
import dev.gateway.core.snapshot.ListenPaths;
import dev.gateway.core.snapshot.ListenerPlan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The routes of one HTTP listener, compiled at load. Matching takes the request's host (the {@code Host} header
 * without its port): the routes of that exact domain first, then of a matching {@code *.suffix} wildcard, then
 * the routes without a domain. Within the chosen group the longest listen path that matches at a segment
 * boundary wins.
 */
public final class HttpRoutes {

    private static final Comparator<Route> LONGEST_FIRST =
            Comparator.comparingInt((Route r) -> r.listenPath().length()).reversed();

    private final Map<String, Route[]> byDomain;
    private final Map<String, Route[]> byWildcard;
    private final Route[] anyDomain;
    private final int size;

    private HttpRoutes(Map<String, Route[]> byDomain, Map<String, Route[]> byWildcard, Route[] anyDomain, int size) {
        this.byDomain = byDomain;
        this.byWildcard = byWildcard;
        this.anyDomain = anyDomain;
        this.size = size;
    }

    /** No routes: every request is a 404. */
    public static HttpRoutes empty() {
        return new HttpRoutes(Map.of(), Map.of(), new Route[0], 0);
    }

    /** Compiles the routes of one listener, without request filters. */
    public static HttpRoutes compile(ListenerPlan plan, GatewaySnapshot snapshot, HttpSettings settings) {
        return compile(plan, snapshot, settings, RequestFilters.NONE);
    }

    /** Compiles the routes of one listener, each with the request filters {@code filters} gives its API. */
    public static HttpRoutes compile(ListenerPlan plan, GatewaySnapshot snapshot, HttpSettings settings,
            RequestFilters filters) {
        List<Route> routes = new ArrayList<>(plan.apis().size());
        for (LoadedApi loaded : plan.apis()) {
            routes.add(route(loaded, snapshot.targetGroup(loaded.definition().apiId()), settings, filters));
        }
        return of(routes);
    }

    /**
     * Compiles the route of one API: its upstream endpoints and its filters. This is the costly part of compiling
     * a listener's routes, which a reload keeps for an API that did not change.
     */
    public static Route route(LoadedApi loaded, TargetGroup group, HttpSettings settings, RequestFilters filters) {
        ApiDefinition api = loaded.definition();
        return new Route(api, ListenPaths.normalize(api.proxy().listenPath()), group, settings.insecureSkipVerify(),
                settings.proxyHttp2(), filters.of(api), filters.responseFilters(api));
    }

    /** The routes of one listener, from the compiled routes of its APIs. */
    public static HttpRoutes of(List<Route> routes) {
        Map<String, List<Route>> exact = new HashMap<>();
        Map<String, List<Route>> wildcard = new HashMap<>();
        List<Route> any = new ArrayList<>();
        for (Route route : routes) {
            String domain = route.domain();
            if (domain.isEmpty()) {
                any.add(route);
            } else if (domain.startsWith("*.")) {
                wildcard.computeIfAbsent(domain.substring(1), d -> new ArrayList<>()).add(route);
            } else {
                exact.computeIfAbsent(domain, d -> new ArrayList<>()).add(route);
            }
        }
        return new HttpRoutes(sorted(exact), sorted(wildcard), sortedArray(any), routes.size());
    }

    private static Map<String, Route[]> sorted(Map<String, List<Route>> groups) {
        Map<String, Route[]> result = new HashMap<>();
        groups.forEach((domain, routes) -> result.put(domain, sortedArray(routes)));
        return Map.copyOf(result);
    }

    private static Route[] sortedArray(List<Route> routes) {
        return routes.stream().sorted(LONGEST_FIRST).toArray(Route[]::new);
    }

    public int size() {
        return size;
    }

    /**
     * The route for a request, or {@code null}.
     *
     * @param hostHeader the {@code Host} header as sent (port and case are ignored), may be {@code null}
     * @param path the request path without its query
     */
    public Route match(String hostHeader, String path) {
        if (!byDomain.isEmpty() || !byWildcard.isEmpty()) {
            String host = hostOnly(hostHeader);
            if (host != null) {
                Route route = first(byDomain.get(host), path);
                if (route != null) {
                    return route;
                }
                for (int dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
                    route = first(byWildcard.get(host.substring(dot)), path);
                    if (route != null) {
                        return route;
                    }
                }
            }
        }
        return first(anyDomain, path);
    }

    private static Route first(Route[] routes, String path) {
        if (routes != null) {
            for (Route route : routes) {
                if (route.matches(path)) {
                    return route;
                }
            }
        }
        return null;
    }

    /** The host of a {@code Host} header, lower case, without port or IPv6 brackets' port. */
    static String hostOnly(String hostHeader) {
        if (hostHeader == null || hostHeader.isEmpty()) {
            return null;
        }
        String host = hostHeader;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            host = close > 0 ? host.substring(0, close + 1) : host;
        } else {
            int colon = host.lastIndexOf(':');
            if (colon >= 0) {
                host = host.substring(0, colon);
            }
        }
        return host.toLowerCase(Locale.ROOT);
    }
}
