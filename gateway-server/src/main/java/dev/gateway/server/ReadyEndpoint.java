package dev.gateway.server;

import dev.gateway.http.FilterDecision;
import dev.gateway.http.LocalRequest;
import dev.gateway.http.LocalService;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code GET /ready}, the readiness probe for load balancers and orchestrators: 503 until the first configuration is
 * in service, while a configured Redis does not answer (requests that need a key would fail), and from the moment
 * the gateway starts to stop, so that a balancer takes it out while it still serves; else 200. The liveness probe
 * stays {@code /hello}.
 */
final class ReadyEndpoint implements LocalService {

    static final String PATH = "/ready";

    private final BooleanSupplier loaded;
    /** Asks Redis; {@code null} without Redis. */
    private final Supplier<CompletionStage<Void>> redisPing;
    private final long timeoutMillis;
    /** Set once, when a stop begins; never cleared. */
    private volatile boolean stopping;

    ReadyEndpoint(BooleanSupplier loaded, Supplier<CompletionStage<Void>> redisPing, long timeoutMillis) {
        this.loaded = loaded;
        this.redisPing = redisPing;
        this.timeoutMillis = timeoutMillis;
    }

    /** From now on the answer is 503: the gateway is stopping. */
    void stopping() {
        stopping = true;
    }

    @Override
    public boolean serves(String path) {
        return PATH.equals(path);
    }

    @Override
    public CompletionStage<FilterDecision.Answer> answer(LocalRequest request) {
        if (stopping) {
            return CompletableFuture.completedFuture(answer(false, "the gateway is stopping"));
        }
        if (!loaded.getAsBoolean()) {
            return CompletableFuture.completedFuture(answer(false, "the configuration is loading"));
        }
        if (redisPing == null) {
            return CompletableFuture.completedFuture(answer(true, ""));
        }
        return redisPing.get().toCompletableFuture().orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .handle((pong, failure) -> failure == null ? answer(true, "")
                        : answer(false, "Redis does not answer"));
    }

    private static FilterDecision.Answer answer(boolean ready, String why) {
        String body = ready ? "{\"status\": \"ready\"}" : "{\"status\": \"not ready\", \"message\": \"" + why + "\"}";
        return FilterDecision.Answer.json(ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                body);
    }
}
