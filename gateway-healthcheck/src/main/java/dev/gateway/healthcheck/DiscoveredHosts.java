package dev.gateway.healthcheck;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gateway.core.config.ApiDefinition.ServiceDiscovery;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the hosts out of a service-discovery answer, with the meaning Tyk gives {@code proxy.service_discovery}:
 *
 * <ul>
 *   <li>{@code data_path} names the host in an entry, {@code port_data_path} (optional) its port, which is joined
 *       as {@code host:port}; {@code target_path} is appended to every host.
 *   <li>{@code endpoint_returns_list}: the answer is a JSON array of entries (Consul's catalog).
 *   <li>{@code use_nested_query}: the value at {@code parent_data_path} is a string holding JSON, which is parsed
 *       in turn (etcd keeps values as strings); it may hold one entry or an array of them.
 *   <li>Otherwise, with {@code use_target_list}, {@code parent_data_path} names the array of entries; without
 *       it, the answer is one entry.
 *   <li>Without {@code use_target_list} only the first host is used.
 * </ul>
 *
 * Paths are dot-separated field names; a number picks an array element ({@code node.nodes.0.value}).
 */
final class DiscoveredHosts {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DiscoveredHosts() {
    }

    /**
     * The hosts in {@code body}, in order, each as {@code host[:port][target_path]}.
     *
     * @throws IllegalArgumentException when the answer is not JSON or has none of the configured fields
     */
    static List<String> parse(String body, ServiceDiscovery config) {
        JsonNode root = read(body, "the answer");
        List<JsonNode> entries = entries(root, config);
        List<String> hosts = new ArrayList<>();
        for (JsonNode entry : entries) {
            String host = host(entry, config);
            if (host != null) {
                hosts.add(host + nullToEmpty(config.targetPath()));
            }
        }
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("no host at data_path '" + nullToEmpty(config.dataPath()) + "'");
        }
        return config.useTargetList() ? hosts : hosts.subList(0, 1);
    }

    private static List<JsonNode> entries(JsonNode root, ServiceDiscovery config) {
        if (config.endpointReturnsList()) {
            return elements(root);
        }
        if (config.useNestedQuery()) {
            JsonNode nested = at(root, config.parentDataPath());
            if (nested == null || !nested.isTextual()) {
                throw new IllegalArgumentException("parent_data_path '" + nullToEmpty(config.parentDataPath())
                        + "' holds no JSON string");
            }
            return elements(read(nested.asText(), "the value at parent_data_path"));
        }
        if (config.useTargetList() && !nullToEmpty(config.parentDataPath()).isEmpty()) {
            JsonNode list = at(root, config.parentDataPath());
            if (list == null) {
                throw new IllegalArgumentException("nothing at parent_data_path '" + config.parentDataPath() + "'");
            }
            return elements(list);
        }
        return List.of(root);
    }

    /** An array's elements, or the node itself as the only entry. */
    private static List<JsonNode> elements(JsonNode node) {
        List<JsonNode> entries = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(entries::add);
        } else {
            entries.add(node);
        }
        return entries;
    }

    private static String host(JsonNode entry, ServiceDiscovery config) {
        JsonNode host = at(entry, config.dataPath());
        if (host == null || !host.isTextual() || host.asText().isBlank()) {
            return null;
        }
        String port = nullToEmpty(config.portDataPath()).isEmpty() ? "" : port(at(entry, config.portDataPath()));
        return port.isEmpty() ? host.asText().trim() : host.asText().trim() + ":" + port;
    }

    private static String port(JsonNode port) {
        if (port != null && port.isArray() && !port.isEmpty()) {
            port = port.get(0);
        }
        if (port == null || port.isNull()) {
            return "";
        }
        return port.isNumber() ? String.valueOf(port.asInt()) : port.asText().trim();
    }

    /** The node at a dot-separated path; {@code null} when absent. An empty path is the node itself. */
    static JsonNode at(JsonNode node, String path) {
        if (path == null || path.isEmpty()) {
            return node;
        }
        JsonNode current = node;
        for (String step : path.split("\\.")) {
            if (current == null) {
                return null;
            }
            current = current.isArray() && step.chars().allMatch(Character::isDigit)
                    ? current.get(Integer.parseInt(step)) : current.get(step);
        }
        return current;
    }

    private static JsonNode read(String text, String what) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " is not JSON: " + e.getOriginalMessage());
        }
    }

    private static String nullToEmpty(String text) {
        return text == null ? "" : text;
    }
}
