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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One compile of a {@link GatewaySnapshot}: the APIs of a load report are added one by one, in file order, and
 * each is checked against those before it. The first API to claim an id, a route or a port keeps it; a later one
 * that collides is left out with an error naming both.
 *
 * <p>A targeted update starts from the indexes of the snapshot in service instead of from nothing: the APIs of the
 * files that changed are removed, then added again as they are now, through the same checks, and each port that no
 * change touched keeps its {@link ListenerPlan}, the same instance. Its cost is that of the changed APIs and their
 * ports, plus the shards of the {@link SharedMap} indexes they change and one entry per port of the listeners map.
 */
final class SnapshotCompiler {

    private final GatewayConfig config;
    /** {@code listen_port}, unboxed: ports are compared by value, never as {@code Integer} instances. */
    private final int gatewayPort;
    private final Path confFile;
    private final Path confDir;
    private final HostHealth.ByApi health;
    /** The snapshot in service, compiled under the same {@code tyk.conf}; {@code null} to compile every API. */
    private final GatewaySnapshot previous;
    /** Whether this starts from {@code previous}'s indexes (a targeted update) rather than from nothing. */
    private final boolean updating;
    private final ListenerProtocol gatewayProtocol;
    private final List<LoadProblem> problems;
    private final Map<Integer, PortClaim> ports = new LinkedHashMap<>();
    private final Map<Integer, List<LoadedApi>> apisByPort = new LinkedHashMap<>();
    /**
     * The ports whose APIs this compile changed, which are those of {@code apisByPort}; the others keep
     * {@code previous}'s plan (when updating).
     */
    private final Set<Integer> changedPorts = new HashSet<>();
    private final GatewaySnapshot.Index index;
    /** The APIs compiled here rather than kept from {@code previous}. */
    private final Set<String> compiled = new HashSet<>();
    /** How many APIs a check that spans APIs refused. */
    private int refusals;

    SnapshotCompiler(LoadReport report, HostHealth.ByApi health, GatewaySnapshot previous) {
        this.config = report.config();
        this.gatewayPort = config.listenPort();
        this.confFile = report.confFile().toAbsolutePath();
        this.confDir = confFile.getParent();
        this.health = health;
        this.previous = previous;
        this.updating = false;
        this.index = GatewaySnapshot.Index.sized(report.apis().size());
        this.problems = new ArrayList<>(report.problems());
        this.gatewayProtocol = gatewayProtocol(config);
        ports.put(gatewayPort, new PortClaim(gatewayProtocol, null));
        apisByPort.put(gatewayPort, new ArrayList<>());
        changedPorts.add(gatewayPort);
    }

    /** Starts from the snapshot in service, to change the APIs of some files ({@link #remove}, then {@link #add}). */
    SnapshotCompiler(GatewaySnapshot previous, List<LoadProblem> problems, HostHealth.ByApi health) {
        this.config = previous.config();
        this.gatewayPort = config.listenPort();
        this.confFile = previous.confFile();
        this.confDir = confFile.getParent();
        this.health = health;
        this.previous = previous;
        this.updating = true;
        this.index = previous.index().copy();
        this.problems = new ArrayList<>(problems);
        this.gatewayProtocol = gatewayProtocol(config);
    }

    private static ListenerProtocol gatewayProtocol(GatewayConfig config) {
        return config.httpServerOptions().useSsl() ? ListenerProtocol.HTTPS : ListenerProtocol.HTTP;
    }

    /**
     * Serves {@code loaded}, unless it collides with an API added before it; then the problem is reported.
     *
     * @return whether it is served
     */
    boolean add(LoadedApi loaded) {
        ApiDefinition api = loaded.definition();
        int port = port(api);
        ListenerProtocol family = api.protocol().isEmpty() && port == gatewayPort
                ? gatewayProtocol : ListenerProtocol.ofApiProtocol(api.protocol());
        String routeKey = routeKey(api, port, family);
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
            refusals++;
            return false;
        }
        ApiInputs now = ApiInputs.of(loaded, confDir);
        TargetGroup group = previous == null ? null : previous.keptGroup(api.apiId(), now);
        if (group == null) {
            group = new TargetGroup(family.isHttp() ? ConfigLoader.httpTargets(api) : ConfigLoader.tcpTargets(api),
                    health.forApi(api.apiId()));
            compiled.add(api.apiId());
        }
        index.put(new GatewaySnapshot.Served(loaded, routeKey, group, now));
        List<LoadedApi> apis = changing(port);
        ports.putIfAbsent(port, new PortClaim(family, loaded));
        if (updating) {
            // In file order, as a compile of every file would have it.
            int at = 0;
            while (at < apis.size() && apis.get(at).file().compareTo(loaded.file()) < 0) {
                at++;
            }
            apis.add(at, loaded);
        } else {
            apis.add(loaded);
        }
        return true;
    }

    /** Stops serving the API of a file, when one is served (a targeted update). */
    void remove(Path file) {
        GatewaySnapshot.Served gone = index.remove(file);
        if (gone == null) {
            return;
        }
        int port = port(gone.api().definition());
        List<LoadedApi> apis = changing(port);
        for (int i = 0; i < apis.size(); i++) {
            if (apis.get(i) == gone.api()) {
                apis.remove(i);
                break;
            }
        }
        if (apis.isEmpty() && port != gatewayPort) {
            ports.remove(port);
        } else if (ports.get(port).owner() == gone.api()) {
            ports.put(port, new PortClaim(ports.get(port).protocol(), apis.get(0)));
        }
    }

    /**
     * The APIs of a port, to change; when updating, copied from the plan in service the first time, with its claim.
     * A port no change touches is never looked at.
     */
    private List<LoadedApi> changing(int port) {
        if (changedPorts.add(port)) {
            ListenerPlan plan = updating ? previous.listeners().get(port) : null;
            if (plan != null) {
                apisByPort.put(port, new ArrayList<>(plan.apis()));
                ports.put(port, claimOf(plan));
            } else {
                apisByPort.putIfAbsent(port, new ArrayList<>());
            }
        }
        return apisByPort.get(port);
    }

    /** Who holds a port now: from the plan in service for a port this update has not touched. */
    private PortClaim claim(int port) {
        if (!updating || changedPorts.contains(port)) {
            return ports.get(port);
        }
        ListenerPlan plan = previous.listeners().get(port);
        return plan == null ? null : claimOf(plan);
    }

    private static PortClaim claimOf(ListenerPlan plan) {
        return new PortClaim(plan.protocol(), plan.gatewayPort() ? null : plan.apis().get(0));
    }

    private int port(ApiDefinition api) {
        return api.listenPort() == 0 ? gatewayPort : api.listenPort();
    }

    private static String routeKey(ApiDefinition api, int port, ListenerProtocol family) {
        return family.isHttp()
                ? port + " " + api.domain() + " " + ListenPaths.normalize(api.proxy().listenPath())
                // TCP and TLS services share a port told apart by SNI (terminated for tls, peeked for tcp), one per
                // domain; one without a domain is the port's default.
                : port + " " + api.domain().toLowerCase(Locale.ROOT);
    }

    GatewaySnapshot snapshot() {
        // Updating, the plans in service, in their order, with the ports changed here replaced, dropped or added.
        Map<Integer, ListenerPlan> listeners = updating ? new LinkedHashMap<>(previous.listeners())
                : new LinkedHashMap<>();
        apisByPort.forEach((port, apis) -> {
            if (apis.isEmpty() && port != gatewayPort) {
                listeners.remove(port);
            } else {
                listeners.put(port, new ListenerPlan(config.listenAddress(), port, ports.get(port).protocol(),
                        port == gatewayPort, apis));
            }
        });
        return new GatewaySnapshot(config, confFile, listeners, index, compiled, refusals, problems);
    }

    private LoadProblem sameId(LoadedApi loaded) {
        String id = loaded.definition().apiId();
        GatewaySnapshot.Served served = index.byId(id);
        if (served == null) {
            return null;
        }
        LoadedApi sameId = served.api();
        return LoadProblem.error(loaded.fileName(), "/api_id", id, "duplicate api_id '" + id + "': "
                + idSource(loaded) + " and " + idSource(sameId) + " both give it; " + loaded.fileName()
                + " is not served");
    }

    /** A port outside {@code ports_whitelist}, or one that already serves another protocol family. */
    private LoadProblem portRefused(LoadedApi loaded, int port, ListenerProtocol family) {
        ApiDefinition api = loaded.definition();
        String whitelistKey = api.protocol().isEmpty() ? family.configName() : api.protocol();
        if (port != gatewayPort && !config.disablePortsWhitelist() && !whitelisted(whitelistKey, port)) {
            return LoadProblem.error(loaded.fileName(), "/listen_port", api.apiId(), "port " + port
                    + " is not allowed for " + whitelistKey + " by ports_whitelist; the API is not served");
        }
        PortClaim claim = claim(port);
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
        LoadedApi same = index.byRoute(routeKey);
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
