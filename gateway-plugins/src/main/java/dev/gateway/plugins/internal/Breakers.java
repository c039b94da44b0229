package dev.gateway.plugins.internal;

import dev.gateway.core.config.ApiVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Every circuit breaker of the gateway, kept across reloads: an entry that a reload leaves as it was keeps its
 * breaker, open or closed, so a reload never hands a failing upstream a fresh window of calls. An entry that
 * changed gets a new one, and once the reload is applied the breakers it no longer uses are forgotten: those of
 * APIs gone, and those of APIs it compiled again that it did not ask for. An API whose compiled filters the reload
 * kept (its definition unchanged) keeps its breakers, asked for or not.
 */
public final class Breakers {

    /** What makes a breaker the same one: its API and its entry, settings included. */
    private record Key(String apiId, ApiVersion.CircuitBreaker entry) {
    }

    /** A breaker and the last snapshot that compiled it. */
    private static final class Kept {
        final CircuitBreaker breaker;
        volatile long generation;

        Kept(CircuitBreaker breaker) {
            this.breaker = breaker;
        }
    }

    private final Map<Key, Kept> breakers = new ConcurrentHashMap<>();
    /** The snapshot being compiled; {@link #compiled} moves on to the next. */
    private volatile long generation;

    CircuitBreaker of(String apiId, ApiVersion.CircuitBreaker entry) {
        Kept kept = breakers.computeIfAbsent(new Key(apiId, entry), key -> {
            double threshold = entry.thresholdPercent() > 1 ? entry.thresholdPercent() / 100
                    : entry.thresholdPercent();
            String name = "api=" + apiId + " " + (entry.method().isEmpty() ? "*" : entry.method()) + " "
                    + entry.path();
            return new Kept(new CircuitBreaker(name, threshold, (int) entry.samples(), entry.returnToServiceAfter(),
                    entry.disableHalfOpenState(), System::nanoTime));
        });
        kept.generation = generation;
        return kept.breaker;
    }

    /** A snapshot that compiled every API again was applied: the breakers it did not ask for are forgotten. */
    public void compiled() {
        compiled(apiId -> false);
    }

    /**
     * A snapshot was applied: the breakers it did not ask for are forgotten, but for those of the APIs whose
     * compiled filters it kept, which use them still.
     */
    public void compiled(Predicate<String> keptApi) {
        long current = generation;
        breakers.entrySet().removeIf(e -> e.getValue().generation != current && !keptApi.test(e.getKey().apiId()));
        generation = current + 1;
    }

    /** One breaker as it stands, for metrics. */
    public record State(String apiId, String method, String path, String state) {
    }

    /** Every breaker of the snapshot in service, as it stands now. */
    public List<State> states() {
        List<State> states = new ArrayList<>();
        breakers.forEach((key, kept) -> states.add(new State(key.apiId(), key.entry().method().isEmpty() ? "*"
                : key.entry().method(), key.entry().path(), kept.breaker.state().name())));
        return states;
    }

    int size() {
        return breakers.size();
    }
}
