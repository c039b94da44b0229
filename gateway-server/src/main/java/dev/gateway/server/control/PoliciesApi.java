package dev.gateway.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.gateway.core.config.AuthSettings;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.Policy;
import dev.gateway.core.config.PolicyLoader;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.LocalRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tyk's policy endpoints: {@code GET /tyk/policies} (every policy loaded), {@code GET /tyk/policies/{id}}, and
 * {@code POST}, {@code PUT} and {@code DELETE}, which write and remove {@code <policy_path>/<id>.json}. As in Tyk,
 * a written policy takes effect at the next reload. Unlike Tyk, a policy is checked as a policy file is before it is
 * written (a bad one is 400 naming the problem, and nothing is written), the file is replaced atomically, and its
 * JSON is kept as sent, fields this gateway does not know included.
 */
public final class PoliciesApi {

    private static final Logger log = LoggerFactory.getLogger(PoliciesApi.class);

    /** Tyk's allowed policy ids, which also keep a file name inside the folder. */
    private static final Pattern VALID_ID = Pattern.compile("[a-zA-Z0-9.\\-_~]+");
    static final String INVALID_ID = "Invalid Policy ID: Allowed characters: a-z, A-Z, 0-9, ., _, -, ~";

    private final AuthSettings.Policies settings;
    private final Path folder;
    private final Supplier<Map<String, Policy>> loaded;

    /**
     * @param confDir the folder of {@code tyk.conf}, which {@code policy_path} starts from (the folder itself when
     *     {@code policy_path} is empty, where Tyk writes to its working directory)
     * @param loaded the policies in force
     */
    public PoliciesApi(AuthSettings.Policies settings, Path confDir, Supplier<Map<String, Policy>> loaded) {
        this.settings = settings;
        this.folder = confDir.resolve(settings.policyPath()).normalize();
        this.loaded = loaded;
    }

    CompletionStage<FilterDecision.Answer> answer(LocalRequest request, String id) {
        HttpMethod method = request.method();
        FilterDecision.Answer answer;
        if (method.equals(HttpMethod.GET)) {
            answer = id.isEmpty() ? list() : one(id);
        } else if (method.equals(HttpMethod.POST) || method.equals(HttpMethod.PUT)) {
            answer = write(request, id);
        } else if (method.equals(HttpMethod.DELETE) && !id.isEmpty()) {
            answer = delete(request, id);
        } else {
            answer = Replies.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "Method not supported");
        }
        return CompletableFuture.completedFuture(answer);
    }

    private FilterDecision.Answer list() {
        ArrayNode all = Replies.JSON.createArrayNode();
        loaded.get().values().forEach(policy -> all.add(PolicyLoader.toJson(policy)));
        return Replies.ok(all);
    }

    private FilterDecision.Answer one(String id) {
        Policy policy = loaded.get().get(id);
        return policy == null ? Replies.error(HttpResponseStatus.NOT_FOUND, "Policy not found")
                : Replies.ok(PolicyLoader.toJson(policy));
    }

    private FilterDecision.Answer write(LocalRequest request, String id) {
        if (settings.policySource().equals("service")) {
            return Replies.error(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "Due to enabled service policy source, please use the Dashboard API");
        }
        JsonNode tree;
        try {
            tree = Replies.JSON.readTree(request.body());
        } catch (IOException e) {
            return Replies.error(HttpResponseStatus.BAD_REQUEST, "Request malformed");
        }
        String given = tree == null ? "" : tree.path("id").asText("");
        if (!given.isEmpty() && !VALID_ID.matcher(given).matches()) {
            return Replies.error(HttpResponseStatus.BAD_REQUEST, INVALID_ID);
        }
        if (request.method().equals(HttpMethod.PUT) && !id.isEmpty() && !given.equals(id)) {
            return Replies.error(HttpResponseStatus.BAD_REQUEST,
                    "Request ID does not match that in policy! For Update operations these must match.");
        }
        List<LoadProblem> problems = new ArrayList<>();
        Optional<Policy> policy = PolicyLoader.parse(request.body(), "request body", problems);
        Optional<LoadProblem> error = problems.stream().filter(LoadProblem::isError).findFirst();
        if (policy.isEmpty() || error.isPresent()) {
            return Replies.error(HttpResponseStatus.BAD_REQUEST, error.map(LoadProblem::toString)
                    .orElse("Unable to create policy without id."));
        }
        String policyId = policy.get().id();
        if (!VALID_ID.matcher(policyId).matches()) {
            return Replies.error(HttpResponseStatus.BAD_REQUEST, INVALID_ID);
        }
        try {
            Files.createDirectories(folder);
            Path file = folder.resolve(policyId + ".json");
            Path written = Files.createTempFile(folder, "." + policyId, ".tmp");
            Files.writeString(written, tree.toPrettyString());
            Files.move(written, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            log.error("control client={} conn={} cannot write policy {}: {}", request.client(),
                    request.connectionId(), policyId, e.toString());
            return Replies.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Failed to create file!");
        }
        String action = request.method().equals(HttpMethod.POST) ? "added" : "modified";
        log.info("control client={} conn={} policy {} {}; in force after the next reload", request.client(),
                request.connectionId(), policyId, action);
        return Replies.ok(Replies.modified(policyId, action));
    }

    private FilterDecision.Answer delete(LocalRequest request, String id) {
        if (!VALID_ID.matcher(id).matches()) {
            return Replies.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Delete failed");
        }
        try {
            if (!Files.deleteIfExists(folder.resolve(id + ".json"))) {
                return Replies.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Delete failed");
            }
        } catch (IOException e) {
            log.warn("control client={} conn={} cannot delete policy {}: {}", request.client(),
                    request.connectionId(), id, e.toString());
            return Replies.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Delete failed");
        }
        log.info("control client={} conn={} policy {} deleted; gone after the next reload", request.client(),
                request.connectionId(), id);
        return Replies.ok(Replies.modified(id, "deleted"));
    }
}
