package dev.gateway.core.snapshot;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.lb.HostHealth;
import dev.gateway.core.lb.TargetGroup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One compile of a {@link GatewaySnapshot}: the APIs of a load report are added one by one, in file order, and
 * each is checked against those before it. The first API to claim an id, a route or a port keeps it; a later one
 * that collides is left out with an error naming both.
 */
final class SnapshotCompiler {

    private final GatewayConfig config;
    private final Path confFile;
    private final Path confDir;
    private final HostHealth.ByApi health;
    /** The snapshot in service, compiled under the same {@code tyk.conf}; {@code null} to compile every API. */
    private final GatewaySnapshot previous;
    private final ListenerProtocol gatewayProtocol;
    private final List<LoadProblem> problems;
    private final Map<Integer, PortClaim> ports = new LinkedHashMap<>();
    private final Map<String, LoadedApi> byId;
    /** HTTP APIs by port, domain and listen path; TCP and TLS services by port and domain. */
    private final Map<String, LoadedApi> byRoute;
    private final Map<Integer, List<LoadedApi>> apisByPort = new LinkedHashMap<>();
    private final HashMap<String, GatewaySnapshot.Served> served;
    private int kept;

    SnapshotCompiler(LoadReport report, HostHealth.ByApi health, GatewaySnapshot previous) {
        this.config = report.config();
        this.confFile = report.confFile().toAbsolutePath();
        this.confDir = confFile.getParent();
        this.health = health;
        this.previous = previous;
        int capacity = report.apis().size() * 4 / 3 + 1;
        this.byId = new HashMap<>(capacity);
        this.byRoute = new HashMap<>(capacity);
        this.served = new HashMap<>(capacity);
        this.problems = new ArrayList<>(report.problems());
        this.gatewayProtocol = config.httpServerOptions().useSsl() ? ListenerProtocol.HTTPS : ListenerProtocol.HTTP;
        ports.put(config.listenPort(), new PortClaim(gatewayProtocol, null));
        apisByPort.put(config.listenPort(), new ArrayList<>());
    }

    /** Serves {@code loaded}, unless it collides with an API added before it; then the problem is reported. */
    void add(LoadedApi loaded) {
        ApiDefinition api = loaded.definition();
        int port = api.listenPort() == 0 ? config.listenPort() : api.listenPort();
        ListenerProtocol family = api.protocol().isEmpty() && port == config.listenPort()
                ? gatewayProtocol : ListenerProtocol.ofApiProtocol(api.protocol());
        String routeKey = family.isHttp()
                ? port + " " + api.domain() + " " + ListenPaths.normalize(api.proxy().listenPath())
                // TCP and TLS services share a port told apart by SNI (terminated for tls, peeked for tcp), one per
                // domain; one without a domain is the port's default.
                : port + " " + api.domain().toLowerCase(Locale.ROOT);
        LoadProblem problem = sameId(loaded);
        if (problem == null) {
            problem = portRefused(loaded, port, family);
        }
        if (problem == null) {
            problem = sameRoute(loaded, port, family, routeKey);
        }
        if (problem == null) {
            problem = mutualTlsWithoutTls(loaded, port, family);
        }
        if (problem != null) {
            problems.add(problem);
            return;
        }
        byRoute.put(routeKey, loaded);
        ApiInputs now = ApiInputs.of(loaded, confDir);
        TargetGroup group = previous == null ? null : previous.keptGroup(api.apiId(), now);
        boolean keep = group != null;
        if (keep) {
            kept++;
        } else {
            group = new TargetGroup(family.isHttp() ? ConfigLoader.httpTargets(api) : ConfigLoader.tcpTargets(api),
                    health.forApi(api.apiId()));
        }
        served.put(api.apiId(), new GatewaySnapshot.Served(group, now, keep));
        byId.put(api.apiId(), loaded);
        ports.putIfAbsent(port, new PortClaim(family, loaded));
        apisByPort.computeIfAbsent(port, p -> new ArrayList<>()).add(loaded);
    }

    GatewaySnapshot snapshot() {
        Map<Integer, ListenerPlan> listeners = new LinkedHashMap<>();
        apisByPort.forEach((port, apis) -> listeners.put(port, new ListenerPlan(config.listenAddress(), port,
                ports.get(port).protocol(), port == config.listenPort(), apis)));
        return new GatewaySnapshot(config, confFile, listeners, served, kept, problems);
    }

    private LoadProblem sameId(LoadedApi loaded) {
        String id = loaded.definition().apiId();
        LoadedApi sameId = byId.get(id);
        if (sameId == null) {
            return null;
        }
        return LoadProblem.error(loaded.fileName(), "/api_id", id, "duplicate api_id '" + id + "': "
                + idSource(loaded) + " and " + idSource(sameId) + " both give it; " + loaded.fileName()
                + " is not served");
    }

    /** A port outside {@code ports_whitelist}, or one that already serves another protocol family. */
    private LoadProblem portRefused(LoadedApi loaded, int port, ListenerProtocol family) {
        ApiDefinition api = loaded.definition();
        String whitelistKey = api.protocol().isEmpty() ? family.configName() : api.protocol();
        if (port != config.listenPort() && !config.disablePortsWhitelist() && !whitelisted(whitelistKey, port)) {
            return LoadProblem.error(loaded.fileName(), "/listen_port", api.apiId(), "port " + port
                    + " is not allowed for " + whitelistKey + " by ports_whitelist; the API is not served");
        }
        PortClaim claim = ports.get(port);
        if (claim == null || claim.protocol() == family) {
            return null;
        }
        String other = claim.owner() == null
                ? "the gateway's own port, which serves " + claim.protocol().configName()
                : "API " + claim.owner().definition().apiId() + " in " + claim.owner().fileName()
                        + ", which serves " + claim.protocol().configName();
        return LoadProblem.error(loaded.fileName(), "/protocol", api.apiId(), "port " + port + " cannot serve "
                + family.configName() + ": it already belongs to " + other);
    }

    private LoadProblem sameRoute(LoadedApi loaded, int port, ListenerProtocol family, String routeKey) {
        LoadedApi same = byRoute.get(routeKey);
        if (same == null) {
            return null;
        }
        ApiDefinition api = loaded.definition();
        String owner = same.definition().apiId() + " in " + same.fileName();
        if (family.isHttp()) {
            return LoadProblem.error(loaded.fileName(), "/proxy/listen_path", api.apiId(), "domain '" + api.domain()
                    + "' and listen path '" + api.proxy().listenPath() + "' on port " + port
                    + " are already served by API " + owner);
        }
        boolean noDomain = api.domain().isEmpty();
        return LoadProblem.error(loaded.fileName(), noDomain ? "/listen_port" : "/domain", api.apiId(),
                "port " + port + (noDomain ? " without a domain" : " with domain '" + api.domain() + "'")
                        + " already serves API " + owner);
    }

    /**
     * {@code use_mutual_tls_auth} on a port without TLS: Tyk serves such an API and answers each of its requests
     * 403 "TLS not enabled"; refusing it at load says the same once, where it can be fixed.
     */
    private static LoadProblem mutualTlsWithoutTls(LoadedApi loaded, int port, ListenerProtocol family) {
        ApiDefinition api = loaded.definition();
        if (!api.useMutualTlsAuth() || family.isTls()) {
            return null;
        }
        return LoadProblem.error(loaded.fileName(), "/use_mutual_tls_auth", api.apiId(), "port " + port
                + " serves " + family.configName() + " without TLS, so no client can present a certificate; "
                + "the API is not served (serve it on an https or tls port)");
    }

    /** A file and how it gives its id, for the duplicate-id message: the id may come from the file name. */
    private static String idSource(LoadedApi api) {
        return api.idFromFileName() ? api.fileName() + " (by its file name, having no api_id)"
                : api.fileName() + " (by its api_id)";
    }

    private boolean whitelisted(String protocol, int port) {
        GatewayConfig.PortWhitelist allowed = config.portsWhitelist().get(protocol);
        return allowed != null && allowed.allows(port);
    }

    private record PortClaim(ListenerProtocol protocol, LoadedApi owner) {
    }
}
