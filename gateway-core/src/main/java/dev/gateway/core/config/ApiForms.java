package dev.gateway.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The other shapes in which Tyk's own documentation writes an API definition, folded into the one that
 * {@link ApiDefinition} reads. It runs once, on the parsed tree and before mapping, so every reader of the
 * definition (target groups, health checks, listeners) sees one value and none has to know the other shapes:
 * <ul>
 *   <li>No {@code api_id}: the file name without {@code .json} is the id, with a warning. Tyk's "TCP Proxy" page
 *       prints its Redis example without one.</li>
 *   <li>{@code enable_load_balancing} and {@code check_host_against_uptime_tests} at the top level, beside
 *       {@code listen_port}, where that same page puts them, mean the same as under {@code proxy}, where Tyk's
 *       code reads them. When both places are set, {@code proxy} wins, with a warning naming both.</li>
 * </ul>
 */
final class ApiForms {

    /** Fields of {@code proxy} that Tyk's TCP documentation writes at the top level of the definition. */
    static final List<String> PROXY_FIELDS_ALSO_AT_TOP = List.of("enable_load_balancing",
            "check_host_against_uptime_tests");

    private static final String API_ID = "api_id";
    private static final String PROXY = "proxy";
    private static final String JSON_SUFFIX = ".json";

    private ApiForms() {
    }

    /**
     * The id an API definition ends up with.
     *
     * @param fromFileName true when the file sets no {@code api_id} and the id is its file name
     */
    record Id(String value, boolean fromFileName) {
    }

    /**
     * Folds the other shapes of {@code tree} into the one the records read, in place.
     *
     * @param file the file's name, which gives the id when the tree has none
     * @param out receives a warning for a derived id or a field set in both places, and an error for a top-level
     *     field that is not a boolean (mapped under {@code proxy}, its error would name a path the user never
     *     wrote)
     */
    static Id fold(ObjectNode tree, String file, List<LoadProblem> out) {
        Id id = id(tree, file);
        if (id.fromFileName()) {
            tree.put(API_ID, id.value());
            out.add(LoadProblem.warning(file, "/" + API_ID, id.value(), "api_id is absent, so the API's id is '"
                    + id.value() + "', the file name without " + JSON_SUFFIX));
        }
        for (String field : PROXY_FIELDS_ALSO_AT_TOP) {
            liftIntoProxy(tree, field, file, id.value(), out);
        }
        return id;
    }

    private static Id id(JsonNode tree, String file) {
        JsonNode given = tree.get(API_ID);
        if (given != null && !given.isNull() && !given.asText("").isBlank()) {
            return new Id(given.asText(), false);
        }
        String name = file.endsWith(JSON_SUFFIX) ? file.substring(0, file.length() - JSON_SUFFIX.length()) : file;
        return new Id(name, true);
    }

    private static void liftIntoProxy(ObjectNode tree, String field, String file, String id, List<LoadProblem> out) {
        JsonNode top = tree.get(field);
        if (top == null) {
            return;
        }
        JsonNode proxy = tree.get(PROXY);
        if (proxy != null && proxy.isObject() && proxy.has(field)) {
            out.add(LoadProblem.warning(file, "/" + field, id, "is set both at /" + field + " and at /" + PROXY
                    + "/" + field + "; /" + PROXY + "/" + field + " wins"));
            return;
        }
        if (!top.isBoolean() && !top.isNull()) {
            out.add(LoadProblem.error(file, "/" + field, id, "wrong type: expected true or false, not " + top));
            return;
        }
        if (proxy == null || proxy.isNull()) {
            tree.putObject(PROXY).set(field, top);
        } else if (proxy.isObject()) {
            ((ObjectNode) proxy).set(field, top);
        }
        // A proxy that is not an object is reported by the mapping, at /proxy.
    }
}
