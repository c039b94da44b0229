package dev.gateway.auth.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * Tyk's merge of per-endpoint rate limits ({@code ApplyEndpointLevelLimits}): for each method and path, the limit
 * allowing more requests wins (the shorter interval; at equal intervals, the higher rate). The result is written
 * sorted by path, then method, as Tyk writes it. Unlike Tyk, a path holding {@code :} is kept (Tyk drops it when
 * it splits its {@code METHOD:path} key).
 */
final class EndpointLimits {

    /** A method on a path. */
    private record Endpoint(String path, String method) implements Comparable<Endpoint> {
        @Override
        public int compareTo(Endpoint other) {
            int byPath = path.compareTo(other.path);
            return byPath != 0 ? byPath : method.compareTo(other.method);
        }
    }

    private EndpointLimits() {
    }

    /**
     * @param policy the endpoints of the policy being applied; {@code null} for none
     * @param current the endpoints merged so far; {@code null} for none
     * @return the merged endpoints; {@code null} for none
     */
    static JsonNode merge(JsonNode policy, JsonNode current) {
        Map<Endpoint, JsonNode> merged = limits(current);
        if (merged.isEmpty()) {
            return policy;
        }
        Map<Endpoint, JsonNode> fromPolicy = limits(policy);
        if (fromPolicy.isEmpty()) {
            return write(merged);
        }
        for (Map.Entry<Endpoint, JsonNode> entry : merged.entrySet()) {
            JsonNode policyLimit = fromPolicy.get(entry.getKey());
            JsonNode currentLimit = entry.getValue();
            if (policyLimit == null) {
                fromPolicy.put(entry.getKey(), currentLimit);
                continue;
            }
            long policyNanos = nanos(policyLimit);
            long currentNanos = nanos(currentLimit);
            if (policyNanos > currentNanos || (policyNanos == currentNanos
                    && currentLimit.path("rate").asDouble(0) > policyLimit.path("rate").asDouble(0))) {
                fromPolicy.put(entry.getKey(), currentLimit);
            }
        }
        return write(fromPolicy);
    }

    private static long nanos(JsonNode limit) {
        return PolicyLimit.durationNanos(limit.path("rate").asDouble(0), limit.path("per").asDouble(0));
    }

    private static Map<Endpoint, JsonNode> limits(JsonNode endpoints) {
        Map<Endpoint, JsonNode> limits = new TreeMap<>();
        if (endpoints == null || !endpoints.isArray()) {
            return limits;
        }
        for (JsonNode endpoint : endpoints) {
            String path = endpoint.path("path").asText("");
            for (JsonNode method : endpoint.path("methods")) {
                JsonNode limit = method.path("limit");
                limits.put(new Endpoint(path, method.path("name").asText("")),
                        limit.isObject() ? limit : JsonNodeFactory.instance.objectNode());
            }
        }
        return limits;
    }

    private static JsonNode write(Map<Endpoint, JsonNode> limits) {
        ArrayNode endpoints = JsonNodeFactory.instance.arrayNode();
        ObjectNode last = null;
        for (Map.Entry<Endpoint, JsonNode> entry : limits.entrySet()) {
            if (last == null || !last.path("path").asText().equals(entry.getKey().path())) {
                last = endpoints.addObject().put("path", entry.getKey().path());
                last.putArray("methods");
            }
            ((ArrayNode) last.get("methods")).addObject().put("name", entry.getKey().method())
                    .set("limit", entry.getValue().deepCopy());
        }
        return endpoints;
    }
}
