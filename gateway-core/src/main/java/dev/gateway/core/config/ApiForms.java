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
 * </ul>
 */
final class ApiForms {

    private static final String API_ID = "api_id";
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
     * @param out receives a warning for a derived id
     */
    static Id fold(ObjectNode tree, String file, List<LoadProblem> out) {
        Id id = id(tree, file);
        if (id.fromFileName()) {
            tree.put(API_ID, id.value());
            out.add(LoadProblem.warning(file, "/" + API_ID, id.value(), "api_id is absent, so the API's id is '"
                    + id.value() + "', the file name without " + JSON_SUFFIX));
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
}
