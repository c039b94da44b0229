package dev.gateway.server;

import dev.gateway.healthcheck.HealthMonitor;
import dev.gateway.http.proxy.HttpProxy;
import dev.gateway.plugins.EndpointPlugins;
import dev.gateway.server.metrics.GatewayMetrics;
import java.util.List;

/**
 * The gauges whose series come and go, read from the parts that know them at each scrape: HTTP connections per
 * listening port, each checked host's health, each circuit breaker's state. The counts of traffic come from the
 * exchange listener instead ({@link GatewayMetrics#exchanges()}).
 */
final class GatewayGauges {

    private GatewayGauges() {
    }

    static void register(GatewayMetrics metrics, HttpProxy http, HealthMonitor health, EndpointPlugins plugins) {
        metrics.rows("gateway.http.connections.open", "HTTP client connections open now, by the port that accepted"
                + " them", List.of("listener"), () -> http.openConnectionsByPort().entrySet().stream().map(e ->
                        new GatewayMetrics.Row(List.of(String.valueOf(e.getKey())), e.getValue())).toList());
        metrics.rows("gateway.upstream.up", "1 when the uptime tests find the host up, 0 when down",
                List.of("api", "host"), () -> health.hosts().stream().map(h -> new GatewayMetrics.Row(
                        List.of(h.apiId(), h.host()), h.up() ? 1 : 0)).toList());
        metrics.rows("gateway.circuit.breaker.open", "1 while a circuit breaker is open, 0.5 half open, 0 closed",
                List.of("api", "method", "path"), () -> plugins.breakers().stream().map(b -> new GatewayMetrics.Row(
                        List.of(b.apiId(), b.method(), b.path()), b.state().equals("OPEN") ? 1
                                : b.state().equals("HALF_OPEN") ? 0.5 : 0)).toList());
    }
}
