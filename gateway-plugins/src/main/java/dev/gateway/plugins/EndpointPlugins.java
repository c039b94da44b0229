package dev.gateway.plugins;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.RequestFilters;
import dev.gateway.plugins.internal.Breakers;
import dev.gateway.plugins.internal.PluginCompiler;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Function;

/**
 * Tyk's endpoint plugins for every API, as its request and response filters. One instance lives as long as the
 * gateway: it keeps the circuit breakers across reloads ({@link #compiler} makes the filters of one snapshot).
 */
public final class EndpointPlugins {

    /** Set on a request that an {@code ignored} entry matched: authentication leaves it alone, as in Tyk. */
    public static final FilteredRequest.Key<Boolean> IGNORED = PluginCompiler.IGNORED;

    private final Breakers breakers = new Breakers();

    /** The filters of a snapshot loaded with {@code config}. */
    public RequestFilters compiler(GatewayConfig config) {
        return compiler(config, api -> List.of());
    }

    /**
     * The filters of a snapshot loaded with {@code config}, each API's {@code access} filters (authentication and
     * the checks after it) in their place in Tyk's chain: after the endpoint lists, IP lists and size limits, before
     * the transforms. A request an {@code ignored} entry matched skips them.
     */
    public RequestFilters compiler(GatewayConfig config, Function<ApiDefinition, List<RequestFilter>> access) {
        PluginCompiler compiler = new PluginCompiler(config, breakers, access);
        return RequestFilters.of(compiler::requestFilters, compiler::responseFilters);
    }

    /** A circuit breaker as it stands: its API, its entry's method and path, and CLOSED, OPEN or HALF_OPEN. */
    public record BreakerState(String apiId, String method, String path, String state) {
    }

    /** Every circuit breaker as it stands now. */
    public List<BreakerState> breakers() {
        return breakers.states().stream().map(b -> new BreakerState(b.apiId(), b.method(), b.path(), b.state()))
                .toList();
    }

    /**
     * A snapshot compiled by {@link #compiler} is in service: the circuit breakers of entries it no longer has (an
     * API gone, an entry changed) are forgotten. The breakers of an API in {@code keptApis}, whose filters the
     * reload kept rather than compiled again (those {@code keptApis} accepts), stay: its filters still hold them.
     */
    public void snapshotApplied(Predicate<String> keptApis) {
        breakers.compiled(keptApis);
    }
}
