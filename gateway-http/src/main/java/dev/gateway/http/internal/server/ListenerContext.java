package dev.gateway.http.internal.server;

import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.http.HttpRoutes;
import dev.gateway.http.HttpSettings;
import dev.gateway.http.ProtocolRules;
import dev.gateway.http.ProtocolSwitch;
import dev.gateway.http.LocalService;
import dev.gateway.http.internal.client.UpstreamPools;
import dev.gateway.http.internal.exchange.ExchangeSettings;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What a listener's client connections share, built once per listener: settings, routes, pools, and the parts of
 * the request path resolved from them.
 *
 * @param scheme {@code http} or {@code https}
 * @param closing true once the gateway is stopping: each connection closes at its next request boundary (an HTTP/1.1
 *     response says {@code Connection: close}), while the listener may still accept
 * @param draining true once the listeners have closed: a connection accepted just before is closed at once
 */
public record ListenerContext(HttpSettings settings, Supplier<HttpRoutes> routes, UpstreamPools pools,
        LocalService local, String scheme, BooleanSupplier closing, BooleanSupplier draining, ProtocolRules rules,
        ProtocolSwitch switches, ExchangeListener exchanges, ExchangeSettings exchangeSettings,
        RequestAdmission admission) {

    public ListenerContext(HttpSettings settings, Supplier<HttpRoutes> routes, UpstreamPools pools,
            LocalService local, String scheme, BooleanSupplier closing, BooleanSupplier draining,
            ProtocolRules rules, ProtocolSwitch switches, ExchangeListener exchanges) {
        this(settings, routes, pools, local, scheme, closing, draining, rules, switches, exchanges,
                ExchangeSettings.of(settings, rules, switches, closing, exchanges),
                new RequestAdmission(settings.maxRequestBodySize(), routes, local));
    }
}
