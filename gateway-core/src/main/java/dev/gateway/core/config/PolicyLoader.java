package dev.gateway.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads Tyk's file policies, as {@code tyk.conf}'s {@code policies} names them: {@code policy_path}, a folder with
 * one policy object per {@code *.json} file (read in name order), or else {@code policy_record_name}, one file whose
 * object maps ids to policies (a non-empty key wins over the policy's {@code id}, as in Tyk). A policy's id is its
 * {@code id}, else its {@code _id} when that is a 24-hex-digit ObjectId, as in Tyk.
 *
 * <p>A policy that is not JSON, has a field of the wrong type or has no id is skipped with a {@link LoadProblem}
 * naming the file and JSON pointer; the others load. Keys naming a skipped policy then fail closed (403), as with a
 * policy that does not exist.
 *
 * <p>Differences from Tyk: relative paths are resolved against the folder of {@code tyk.conf} (Tyk resolves them
 * against its working directory); policies are keyed by id alone, so two files with one id (in different
 * organisations or not) keep only the later, with a warning (Tyk keys by organisation and id);
 * {@code policy_source} {@code service} and {@code rpc} (Tyk's Dashboard and MDCB) are not supported and load no
 * policies, with one warning.
 */
public final class PolicyLoader {

    /** Tyk's {@code policy_source} values that fetch policies from elsewhere, which this gateway cannot. */
    private static final List<String> REMOTE_SOURCES = List.of("service", "rpc");

    /** Access-right fields of GraphQL, JSON-RPC and MCP APIs, which this gateway does not serve. */
    private static final List<String> UNIMPLEMENTED_ACCESS = List.of("restricted_types", "allowed_types",
            "field_access_rights", "json_rpc_methods", "json_rpc_methods_access_rights", "mcp_primitives",
            "mcp_access_rights");

    private static final int OBJECT_ID_HEX_DIGITS = 24;

    private PolicyLoader() {
    }

    /**
     * Loads the policies {@code settings} name.
     *
     * @param confFile {@code tyk.conf}, against whose folder relative paths are resolved
     * @param problems receives what is wrong, one entry per skipped policy or unreadable source
     * @return the policies by id, in the order read; empty when none are configured
     */
    public static Map<String, Policy> load(AuthSettings.Policies settings, Path confFile,
            List<LoadProblem> problems) {
        String conf = confFile.getFileName().toString();
        Path confDir = confFile.toAbsolutePath().getParent();
        if (REMOTE_SOURCES.contains(settings.policySource())) {
            problems.add(LoadProblem.warning(conf, "/policies/policy_source", "", "policy_source '"
                    + settings.policySource() + "' fetches policies from Tyk's Dashboard or MDCB, which this gateway"
                    + " does not support; no policies are loaded, and keys that name policies are refused"));
            return Map.of();
        }
        Map<String, Policy> policies = new LinkedHashMap<>();
        try {
            if (!settings.policyPath().isEmpty()) {
                loadFolder(confDir.resolve(settings.policyPath()).normalize(), policies, problems);
            } else if (!settings.policyRecordName().isEmpty()) {
                loadRecord(confDir.resolve(settings.policyRecordName()).normalize(), policies, problems);
            }
        } catch (InvalidPathException e) {
            problems.add(LoadProblem.error(conf, "/policies", "", "not a path: " + e.getMessage()));
        }
        return Collections.unmodifiableMap(policies);
    }

    private static void loadFolder(Path dir, Map<String, Policy> into, List<LoadProblem> problems) {
        if (!Files.isDirectory(dir)) {
            problems.add(LoadProblem.error(dir.toString(), "", "", "policy_path is not a folder; no policies"
                    + " loaded"));
            return;
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(".json")).filter(Files::isRegularFile)
                    .sorted().toList();
        } catch (IOException e) {
            problems.add(LoadProblem.error(dir.toString(), "", "", "cannot list policy_path: " + e.getMessage()));
            return;
        }
        for (Path path : files) {
            String file = path.getFileName().toString();
            ConfigLoader.ParsedTree parsed = ConfigLoader.readTree(path, file);
            if (parsed.problem() != null) {
                problems.add(parsed.problem());
                continue;
            }
            read(parsed.tree(), file, "", "", problems).ifPresent(p -> put(p, file, into, problems));
        }
    }

    private static void loadRecord(Path path, Map<String, Policy> into, List<LoadProblem> problems) {
        String file = path.getFileName().toString();
        ConfigLoader.ParsedTree parsed = ConfigLoader.readTree(path, file);
        if (parsed.problem() != null) {
            problems.add(parsed.problem());
            return;
        }
        if (!parsed.tree().isObject()) {
            problems.add(LoadProblem.error(file, "", "", "expected one JSON object mapping policy ids to policies"));
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = parsed.tree().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String pointer = "/" + entry.getKey().replace("~", "~0").replace("/", "~1");
            read(entry.getValue(), file, pointer, entry.getKey(), problems).ifPresent(p -> put(p, file, into,
                    problems));
        }
    }

    /**
     * One policy from {@code json}, checked as a file of {@code policy_path} is (the control API's writes go through
     * here before they are written).
     *
     * @param file the name problems are reported under
     * @return the policy; empty, with {@code problems} saying why, when it cannot be used
     */
    public static Optional<Policy> parse(byte[] json, String file, List<LoadProblem> problems) {
        JsonNode tree;
        try {
            tree = ConfigLoader.MAPPER.readTree(json);
        } catch (IOException e) {
            problems.add(LoadProblem.error(file, "", "", "invalid JSON: " + e.getMessage()));
            return Optional.empty();
        }
        return tree == null ? Optional.empty() : read(tree, file, "", "", problems);
    }

    /** {@code policy} as JSON, with Tyk's field names. */
    public static JsonNode toJson(Policy policy) {
        return ConfigLoader.MAPPER.valueToTree(policy);
    }

    /** One policy object; empty, with the problem recorded, when it cannot be used. */
    private static Optional<Policy> read(JsonNode tree, String file, String pointer, String key,
            List<LoadProblem> problems) {
        if (!tree.isObject()) {
            problems.add(LoadProblem.error(file, pointer, "", "expected a policy object"));
            return Optional.empty();
        }
        Policy policy;
        try {
            policy = ConfigLoader.MAPPER.treeToValue(tree, Policy.class);
        } catch (JsonProcessingException e) {
            LoadProblem problem = ConfigLoader.mappingProblem(file, "", e);
            problems.add(LoadProblem.error(file, pointer + problem.jsonPath(), "", problem.reason()
                    + "; the policy is skipped"));
            return Optional.empty();
        }
        if (!key.isEmpty()) {
            policy = policy.withId(key);
        } else if (policy.id().isEmpty() && isObjectId(policy.mongoId())) {
            policy = policy.withId(policy.mongoId());
        }
        if (policy.id().isEmpty()) {
            problems.add(LoadProblem.error(file, pointer + "/id", "", "a policy needs an id (or an _id ObjectId);"
                    + " the policy is skipped"));
            return Optional.empty();
        }
        warnUnimplemented(tree, file, pointer, policy, problems);
        return Optional.of(policy);
    }

    private static void warnUnimplemented(JsonNode tree, String file, String pointer, Policy policy,
            List<LoadProblem> problems) {
        for (Iterator<Map.Entry<String, JsonNode>> it = tree.path("access_rights").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> api = it.next();
            for (String field : UNIMPLEMENTED_ACCESS) {
                JsonNode value = api.getValue().path(field);
                if (!value.isMissingNode() && !value.isNull() && !value.isEmpty()) {
                    problems.add(LoadProblem.warning(file, pointer + "/access_rights/" + api.getKey() + "/" + field,
                            "", "policy " + policy.id() + ": GraphQL, JSON-RPC and MCP rights are not implemented"
                                    + " and have no effect"));
                }
            }
        }
    }

    private static void put(Policy policy, String file, Map<String, Policy> into, List<LoadProblem> problems) {
        if (into.put(policy.id(), policy) != null) {
            problems.add(LoadProblem.warning(file, "", "", "policy id '" + policy.id() + "' was already loaded;"
                    + " this later one replaces it"));
        }
    }

    private static boolean isObjectId(String s) {
        if (s.length() != OBJECT_ID_HEX_DIGITS) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!HexFormat.isHexDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
