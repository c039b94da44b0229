package dev.gateway.core.config;

import dev.gateway.core.lb.Target;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The upstream targets an API names: {@code target_list} when it balances over one, else {@code target_url}.
 * Checked at load, each problem naming the field as the user wrote it, and read as the proxy (HTTP APIs) and the
 * relay ({@code tcp} and {@code tls} APIs) will use them.
 */
final class ApiTargets {

    /**
     * Upstream schemes of HTTP APIs: {@code h2c} is cleartext HTTP/2 with prior knowledge; {@code ws} and
     * {@code wss} are HTTP and HTTPS, as Tyk maps them, for APIs that carry WebSockets.
     */
    private static final Set<String> HTTP_TARGET_SCHEMES = Set.of("http", "https", "h2c", "ws", "wss");

    /** Upstream schemes of TCP APIs. */
    private static final Set<String> TCP_TARGET_SCHEMES = Set.of("tcp", "tls");

    private static final String TARGET_URL = "/proxy/target_url";

    /** An API with neither a target_url nor a list to balance over. */
    static final String EMPTY_TARGET_URL = "target_url is empty; set it to the upstream's URL";

    /**
     * An API with a target_list but no load balancing: Tyk's TCP Proxy page puts {@code enable_load_balancing}
     * beside {@code listen_port}, and a user who moves only some of it ends up here.
     */
    static final String EMPTY_TARGET_URL_BESIDE_LIST =
            "target_url is empty; set proxy.enable_load_balancing to balance over target_list";

    private ApiTargets() {
    }

    /** Checks the targets of an HTTP API: {@code http://}, {@code https://}, {@code h2c://}, {@code ws(s)://}. */
    static void checkHttp(ApiDefinition api, String file, List<LoadProblem> out) {
        checkTargets(api, file, ApiTargets::checkHttpTarget, out);
    }

    /** Checks the targets of a {@code tcp} or {@code tls} API: {@code tcp://}, {@code tls://} or bare host:port. */
    static void checkTcp(ApiDefinition api, String file, List<LoadProblem> out) {
        checkTargets(api, file, ApiTargets::checkTcpTarget, out);
    }

    /** Upstream targets of an HTTP API, as the proxy will use them. */
    static List<Target> http(ApiDefinition api) {
        return inUse(api).stream().map(Target::parse).toList();
    }

    /** Upstream targets of a {@code tcp} or {@code tls} API, as the relay will use them. */
    static List<Target> tcp(ApiDefinition api) {
        return inUse(api).stream().map(ApiTargets::tcpTarget).toList();
    }

    /** The targets as written: {@code target_list} when the API balances over one, else {@code target_url}. */
    private static List<String> inUse(ApiDefinition api) {
        ApiDefinition.Proxy proxy = api.proxy();
        return proxy.enableLoadBalancing() && !proxy.targetList().isEmpty()
                ? proxy.targetList() : List.of(proxy.targetUrl());
    }

    /** Checks one target as written, at a JSON pointer; empty when it can be used. */
    @FunctionalInterface
    private interface TargetCheck {
        Optional<LoadProblem> check(String raw, String file, String path, String id);
    }

    /**
     * Checks the targets the API will use: {@code target_list} when it balances over one, else {@code target_url}.
     * An empty {@code target_url} says so in words, and when a {@code target_list} is there it names the switch
     * that is missing: the parser's own complaint about an empty URL ("Expected authority") names neither.
     */
    private static void checkTargets(ApiDefinition api, String file, TargetCheck check, List<LoadProblem> out) {
        ApiDefinition.Proxy proxy = api.proxy();
        String id = api.apiId();
        if (proxy.enableLoadBalancing() && !proxy.targetList().isEmpty()) {
            for (int i = 0; i < proxy.targetList().size(); i++) {
                check.check(proxy.targetList().get(i), file, "/proxy/target_list/" + i, id).ifPresent(out::add);
            }
        } else if (proxy.targetUrl().isEmpty()) {
            out.add(LoadProblem.error(file, TARGET_URL, id, proxy.targetList().isEmpty() ? EMPTY_TARGET_URL
                    : EMPTY_TARGET_URL_BESIDE_LIST));
        } else {
            check.check(proxy.targetUrl(), file, TARGET_URL, id).ifPresent(out::add);
        }
    }

    private static Optional<LoadProblem> checkTcpTarget(String raw, String file, String path, String id) {
        try {
            Target target = tcpTarget(raw);
            if (!TCP_TARGET_SCHEMES.contains(target.scheme())) {
                return Optional.of(LoadProblem.error(file, path, id, "scheme '" + target.scheme()
                        + "' is not a TCP target (expected tcp://, tls:// or host:port)"));
            }
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(LoadProblem.error(file, path, id, "target " + e.getMessage()));
        }
    }

    /** A TCP target: a bare {@code host:port} means {@code tcp://host:port}, as in Tyk. */
    private static Target tcpTarget(String raw) {
        String trimmed = raw == null ? "" : raw.trim();
        if (trimmed.isEmpty()) {
            return Target.parse(trimmed); // "is empty", rather than what the parser says of a bare "tcp://"
        }
        return Target.parse(trimmed.contains("://") ? trimmed : "tcp://" + trimmed);
    }

    private static Optional<LoadProblem> checkHttpTarget(String raw, String file, String path, String id) {
        try {
            Target target = Target.parse(raw);
            if (!HTTP_TARGET_SCHEMES.contains(target.scheme())) {
                return Optional.of(LoadProblem.error(file, path, id, "scheme '" + target.scheme()
                        + "' is not supported yet (expected http://, https://, h2c://, ws:// or wss://)"));
            }
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(LoadProblem.error(file, path, id, "target " + e.getMessage()));
        }
    }
}
