package dev.gateway.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.snapshot.GatewaySnapshot;
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
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tyk's API endpoints: {@code GET /tyk/apis} (every API in service), {@code GET /tyk/apis/{id}}, and {@code POST},
 * {@code PUT} and {@code DELETE}, which write and remove the definition's file in {@code app_path}
 * ({@code <api_id>.json}, a missing {@code api_id} generated). As in Tyk, a write takes effect at the next reload
 * ({@code /tyk/reload}). Unlike Tyk, a definition is checked as its file would be before it is written: one that
 * fails is 400 with the same problem text a file would get, naming the JSON path, and nothing is written; the file
 * is replaced atomically; an API is shown and deleted by the file it was loaded from, whatever its name.
 */
public final class ApisApi {

    private static final Logger log = LoggerFactory.getLogger(ApisApi.class);

    /** An id that is also a safe file name. */
    private static final Pattern VALID_ID = Pattern.compile("[a-zA-Z0-9.\\-_~]+");
    static final String NOT_FOUND = "API not found";

    private final Path appDir;
    private final Path confDir;
    private final Supplier<GatewaySnapshot> snapshot;

    /**
     * @param appDir {@code app_path}, resolved
     * @param snapshot the configuration in service
     */
    public ApisApi(Path appDir, Path confDir, Supplier<GatewaySnapshot> snapshot) {
        this.appDir = appDir;
        this.confDir = confDir;
        this.snapshot = snapshot;
    }

    FilterDecision.Answer answer(LocalRequest request, String id) {
        HttpMethod method = request.method();
        if (method.equals(HttpMethod.GET)) {
            return id.isEmpty() ? list() : one(id);
        }
        if (method.equals(HttpMethod.POST)) {
            return write(request, null);
        }
        if (method.equals(HttpMethod.PUT)) {
            return id.isEmpty() ? Replies.error(HttpResponseStatus.BAD_REQUEST, "Must specify an apiID to update")
                    : write(request, id);
        }
        if (method.equals(HttpMethod.DELETE)) {
            return id.isEmpty() ? Replies.error(HttpResponseStatus.BAD_REQUEST, "Must specify an apiID to delete")
                    : delete(request, id);
        }
        return Replies.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "Method not supported");
    }

    private Optional<LoadedApi> loaded(String id) {
        return Optional.ofNullable(snapshot.get().api(id));
    }

    private FilterDecision.Answer list() {
        ArrayNode all = Replies.JSON.createArrayNode();
        for (LoadedApi api : snapshot.get().apis()) {
            read(api).ifPresent(all::add);
        }
        return Replies.ok(all);
    }

    private FilterDecision.Answer one(String id) {
        Optional<JsonNode> definition = loaded(id).flatMap(this::read);
        return definition.isEmpty() ? Replies.error(HttpResponseStatus.NOT_FOUND, NOT_FOUND)
                : Replies.ok(definition.get());
    }

    /** The definition as its file has it now; empty when the file went or no longer reads. */
    private Optional<JsonNode> read(LoadedApi api) {
        try {
            return Optional.of(Replies.JSON.readTree(api.file().toFile()));
        } catch (IOException e) {
            log.warn("cannot read {} for api={}: {}", api.file(), api.definition().apiId(), e.toString());
            return Optional.empty();
        }
    }

    /** POST ({@code pathId} null) or PUT: check the definition as a file, then write it. */
    private FilterDecision.Answer write(LocalRequest request, String pathId) {
        JsonNode tree;
        try {
            tree = Replies.JSON.readTree(request.body());
        } catch (IOException e) {
            return Replies.error(HttpResponseStatus.BAD_REQUEST, "Request malformed");
        }
        if (tree == null || !tree.isObject()) {
            return Replies.error(HttpResponseStatus.BAD_REQUEST, "Request malformed");
        }
        ObjectNode definition = (ObjectNode) tree;
        String id = definition.path("api_id").asText("");
        if (pathId != null) {
            if (loaded(pathId).isEmpty()) {
                return Replies.error(HttpResponseStatus.NOT_FOUND, NOT_FOUND);
            }
            if (!id.equals(pathId)) {
                return Replies.error(HttpResponseStatus.BAD_REQUEST,
                        "Request APIID does not match that in Definition! For Update operations these must match.");
            }
        } else if (id.isEmpty()) {
            id = UUID.randomUUID().toString().replace("-", "");
            definition.put("api_id", id);
        }
        if (!VALID_ID.matcher(id).matches()) {
            return Replies.error(HttpResponseStatus.BAD_REQUEST, "Invalid API ID");
        }
        Path target = pathId != null ? loaded(pathId).get().file() : appDir.resolve(id + ".json");
        Optional<String> problem;
        try {
            problem = checkThenWrite(definition, target);
        } catch (IOException e) {
            log.error("control client={} conn={} cannot write {}: {}", request.client(), request.connectionId(),
                    target, e.toString());
            return Replies.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Failed to create file!");
        }
        if (problem.isPresent()) {
            log.info("control client={} conn={} api={} refused: {}", request.client(), request.connectionId(), id,
                    problem.get());
            return Replies.error(HttpResponseStatus.BAD_REQUEST, problem.get());
        }
        String action = pathId == null ? "added" : "modified";
        log.info("control client={} conn={} api={} {} ({}); in service after the next reload", request.client(),
                request.connectionId(), id, action, target.getFileName());
        return Replies.ok(Replies.modified(id, action));
    }

    /**
     * Writes {@code definition} beside {@code target} under the target's name in a folder of its own, loads it as
     * the gateway would, and moves it into place only if it loads without an error.
     *
     * @return the first error, when there is one (nothing is written then)
     */
    private Optional<String> checkThenWrite(ObjectNode definition, Path target) throws IOException {
        Files.createDirectories(appDir);
        Path checking = Files.createTempDirectory(appDir, ".checking-");
        Path candidate = checking.resolve(target.getFileName());
        try {
            Files.writeString(candidate, definition.toPrettyString());
            List<LoadProblem> problems = new ArrayList<>();
            ConfigLoader.loadApi(candidate, confDir, problems);
            Optional<LoadProblem> error = problems.stream().filter(LoadProblem::isError).findFirst();
            if (error.isPresent()) {
                return Optional.of(error.get().toString());
            }
            Files.move(candidate, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return Optional.empty();
        } finally {
            Files.deleteIfExists(candidate);
            Files.deleteIfExists(checking);
        }
    }

    private FilterDecision.Answer delete(LocalRequest request, String id) {
        Optional<LoadedApi> api = loaded(id);
        if (api.isEmpty()) {
            return Replies.error(HttpResponseStatus.NOT_FOUND, NOT_FOUND);
        }
        try {
            Files.delete(api.get().file());
        } catch (IOException e) {
            log.warn("control client={} conn={} cannot delete {}: {}", request.client(), request.connectionId(),
                    api.get().file(), e.toString());
            return Replies.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Delete failed");
        }
        log.info("control client={} conn={} api={} deleted ({}); out of service after the next reload",
                request.client(), request.connectionId(), id, api.get().file().getFileName());
        return Replies.ok(Replies.modified(id, "deleted"));
    }
}
