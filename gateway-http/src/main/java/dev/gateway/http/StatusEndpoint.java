package dev.gateway.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The liveness endpoint on the gateway's own port ({@code health_check_endpoint_name}, Tyk's {@code /hello}).
 *
 * @param path the exact path, with its leading slash
 * @param body the JSON document to answer with, built per request
 */
public record StatusEndpoint(String path, Supplier<String> body) implements LocalService {

    @Override
    public boolean serves(String requestPath) {
        return path.equals(requestPath);
    }

    @Override
    public CompletionStage<FilterDecision.Answer> answer(LocalRequest request) {
        return CompletableFuture.completedFuture(FilterDecision.Answer.json(HttpResponseStatus.OK, body.get()));
    }
}
