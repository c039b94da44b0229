package dev.gateway.plugins.internal;

import dev.gateway.core.config.ApiVersion;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every circuit breaker of the gateway, kept across reloads: an entry that a reload leaves as it was keeps its
 * breaker, open or closed, so a reload never hands a failing upstream a fresh window of calls. An entry that
 * changed gets a new one.
 */
public final class Breakers {

    /** What makes a breaker the same one: its API and its entry, settings included. */
    private record Key(String apiId, ApiVersion.CircuitBreaker entry) {
    }

    private final Map<Key, CircuitBreaker> breakers = new ConcurrentHashMap<>();

    CircuitBreaker of(String apiId, ApiVersion.CircuitBreaker entry) {
        return breakers.computeIfAbsent(new Key(apiId, entry), key -> {
            double threshold = entry.thresholdPercent() > 1 ? entry.thresholdPercent() / 100
                    : entry.thresholdPercent();
            String name = "api=" + apiId + " " + (entry.method().isEmpty() ? "*" : entry.method()) + " "
                    + entry.path();
            return new CircuitBreaker(name, threshold, (int) entry.samples(),
                    entry.returnToServiceAfter(), entry.disableHalfOpenState(), System::nanoTime);
        });
    }

    /** Forgets the breakers of entries no API has any more. */
    public void retainApis(java.util.Set<String> apiIds) {
        breakers.keySet().removeIf(key -> !apiIds.contains(key.apiId()));
    }
}
