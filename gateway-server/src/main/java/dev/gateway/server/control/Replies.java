package dev.gateway.server.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.http.FilterDecision;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The control API's answers, in Tyk's shapes. */
final class Replies {

    static final ObjectMapper JSON = JsonMapper.builder().build();

    private Replies() {
    }

    /** Tyk's {@code apiError}: {@code {"status": "error", "message": ...}}. */
    static FilterDecision.Answer error(HttpResponseStatus status, String message) {
        ObjectNode body = JSON.createObjectNode().put("status", "error").put("message", message);
        return json(status, body);
    }

    static CompletionStage<FilterDecision.Answer> errorNow(HttpResponseStatus status, String message) {
        return CompletableFuture.completedFuture(error(status, message));
    }

    /** Tyk's {@code apiModifyKeySuccess}: {@code {"key": ..., "status": "ok", "action": ...}}. */
    static ObjectNode modified(String key, String action) {
        return JSON.createObjectNode().put("key", key).put("status", "ok").put("action", action);
    }

    static FilterDecision.Answer json(HttpResponseStatus status, Object body) {
        try {
            return FilterDecision.Answer.json(status, JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a reply that cannot be written", e);
        }
    }

    static FilterDecision.Answer ok(Object body) {
        return json(HttpResponseStatus.OK, body);
    }
}
