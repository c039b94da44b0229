package dev.gateway.http.internal.exchange;

import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.http.HttpSettings;
import dev.gateway.http.ProtocolRules;
import dev.gateway.http.ProtocolSwitch;
import java.util.function.BooleanSupplier;

/**
 * What an exchange reads of its listener, resolved once per listener rather than per request.
 *
 * @param closeConnections {@code close_connections}: no upstream connection is reused
 * @param rules what a protocol carried over HTTP (gRPC) changes in the exchange
 * @param switches the protocols a request may switch its connection to
 * @param closing true once the gateway is stopping: the client connection closes after this exchange
 * @param exchanges told of the end of every exchange
 */
public record ExchangeSettings(long proxyTimeoutNanos, long flushIntervalNanos, long maxBodySize,
        long streamIdleNanos, boolean closeConnections, ProtocolRules rules, ProtocolSwitch switches,
        BooleanSupplier closing, ExchangeListener exchanges) {

    public static ExchangeSettings of(HttpSettings settings, ProtocolRules rules, ProtocolSwitch switches,
            BooleanSupplier closing, ExchangeListener exchanges) {
        return new ExchangeSettings(settings.proxyTimeoutNanos(), settings.flushIntervalNanos(),
                settings.maxRequestBodySize(), settings.streamIdleTimeoutNanos(), settings.closeConnections(), rules,
                switches, closing, exchanges);
    }
}
