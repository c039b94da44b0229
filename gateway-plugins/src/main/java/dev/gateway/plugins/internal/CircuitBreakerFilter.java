package dev.gateway.plugins.internal;

import dev.gateway.core.config.ApiVersion;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.http.ExchangeEnd;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.match.EndpointRules;
import dev.gateway.http.match.MatchInput;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code circuit_breakers}: the first matching entry's {@link CircuitBreaker} lets the call through, or refuses it. */
final class CircuitBreakerFilter implements RequestFilter {

    private static final Logger log = LoggerFactory.getLogger(CircuitBreakerFilter.class);

    private final EndpointRules<CircuitBreaker> rules;

    private CircuitBreakerFilter(EndpointRules<CircuitBreaker> rules) {
        this.rules = rules;
    }

    /** The filter for {@code version}'s breakers, kept in {@code breakers}; {@code null} when it has none. */
    static CircuitBreakerFilter of(String apiId, ApiVersion version, EndpointRules.Matching matching,
            Breakers breakers) {
        List<ApiVersion.CircuitBreaker> entries = version.useExtendedPaths()
                ? version.extendedPaths().circuitBreakers() : List.of();
        EndpointRules<CircuitBreaker> rules = EndpointRules.<CircuitBreaker>builder(matching)
                .addAll(entries, entry -> breakers.of(apiId, entry))
                .build();
        return rules.isEmpty() ? null : new CircuitBreakerFilter(rules);
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        CircuitBreaker breaker = rules.first(MatchInput.of(request), request.head().method().name());
        if (breaker == null) {
            return FilterDecision.proceed();
        }
        ExchangeEnd admitted = breaker.admit();
        if (admitted == null) {
            ClientErrorLog.info(log, request.route().api().listenPort(),
                    "api={} client={} conn={} {} {} refused: the circuit breaker is open", request.route().apiId(),
                    request.client(), request.connectionId(), request.head().method(), request.path());
            return FilterDecision.refuse(ProxyFailure.CIRCUIT_OPEN);
        }
        request.onEnd(admitted);
        return FilterDecision.proceed();
    }
}
