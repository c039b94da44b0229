package dev.gateway.server.control;

import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.LocalRequest;
import dev.gateway.http.LocalService;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tyk's Gateway API under {@code /tyk/}: every request must carry {@code x-tyk-authorization} equal to the
 * {@code secret}, compared in constant time; a wrong or missing one is 403 "Attempted administrative access with
 * invalid or missing key!" and a warning. Unlike Tyk, where an empty {@code secret} lets anyone in, an empty one
 * turns the API off (403 saying so, and a warning at start).
 */
public final class ControlApi implements LocalService {

    private static final Logger log = LoggerFactory.getLogger(ControlApi.class);

    static final String PREFIX = "/tyk/";
    static final String SECRET_HEADER = "x-tyk-authorization";
    static final String BAD_SECRET = "Attempted administrative access with invalid or missing key!";
    static final String DISABLED = "the control API is off: tyk.conf sets no secret";

    private final byte[] secret;
    private final int port;
    private final KeysApi keys;
    private final PoliciesApi policies;
    private final ApisApi apis;
    private final Reloads reloads;
    private final Supplier<CompletionStage<Void>> groupReload;
    private final Executor executor;

    /**
     * @param secret {@code tyk.conf}'s {@code secret}; empty turns the API off
     * @param port the port it is served on, for the rate of its log lines
     * @param executor where calls run, off the event loops: bcrypt and file writes take their time
     */
    public ControlApi(String secret, int port, KeysApi keys, PoliciesApi policies, ApisApi apis, Reloads reloads,
            Supplier<CompletionStage<Void>> groupReload, Executor executor) {
        this.groupReload = groupReload;
        this.policies = policies;
        this.apis = apis;
        this.reloads = reloads;
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.port = port;
        this.keys = keys;
        this.executor = executor;
        if (secret.isEmpty()) {
            log.warn("tyk.conf sets no secret: the control API (/tyk/...) is off");
        }
    }

    @Override
    public boolean serves(String path) {
        return path.startsWith(PREFIX) || path.equals("/tyk");
    }

    @Override
    public CompletionStage<FilterDecision.Answer> answer(LocalRequest request) {
        if (secret.length == 0) {
            return Replies.errorNow(HttpResponseStatus.FORBIDDEN, DISABLED);
        }
        String given = request.headers().get(SECRET_HEADER);
        if (given == null || !MessageDigest.isEqual(secret, given.getBytes(StandardCharsets.UTF_8))) {
            ClientErrorLog.warn(log, port, "client={} conn={} {} {}: attempted administrative access with invalid"
                    + " or missing key", request.client(), request.connectionId(), request.method(), request.path());
            return Replies.errorNow(HttpResponseStatus.FORBIDDEN, BAD_SECRET);
        }
        return CompletableFuture.supplyAsync(() -> route(request), executor).thenCompose(answer -> answer);
    }

    /**
     * {@code GET /tyk/reload} queues a reload ({@code ?block=true} answers once it is done); {@code /tyk/reload/group}
     * reloads every gateway on the shared Redis (Tyk's {@code GroupReload} notification), or this one without it.
     */
    private CompletionStage<FilterDecision.Answer> reload(LocalRequest request, String name) {
        if (!request.method().equals(HttpMethod.GET) || !(name.isEmpty() || name.equals("group"))) {
            return Replies.errorNow(HttpResponseStatus.METHOD_NOT_ALLOWED, "Method not supported");
        }
        CompletionStage<Void> done = name.isEmpty() ? reloads.request() : groupReload.get();
        log.info("control client={} conn={} reload{} queued", request.client(), request.connectionId(),
                name.isEmpty() ? "" : " (" + name + ")");
        FilterDecision.Answer ok = Replies.ok(Replies.JSON.createObjectNode().put("status", "ok").put("message", ""));
        boolean block = request.query().contains("block=true");
        return block ? done.handle((v, failure) -> ok) : CompletableFuture.completedFuture(ok);
    }

    private CompletionStage<FilterDecision.Answer> route(LocalRequest request) {
        String rest = request.path().length() <= PREFIX.length() ? "" : request.path().substring(PREFIX.length());
        int slash = rest.indexOf('/');
        String section = slash < 0 ? rest : rest.substring(0, slash);
        String name = slash < 0 ? "" : rest.substring(slash + 1);
        if (section.equals("keys")) {
            return keys.answer(request, name);
        }
        if (section.equals("policies")) {
            return policies.answer(request, name);
        }
        if (section.equals("apis")) {
            return CompletableFuture.completedFuture(apis.answer(request, name));
        }
        if (section.equals("reload")) {
            return reload(request, name);
        }
        return Replies.errorNow(HttpResponseStatus.NOT_FOUND, "Not found");
    }
}
