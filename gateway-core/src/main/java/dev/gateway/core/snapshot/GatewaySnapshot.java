package dev.gateway.core.snapshot;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.lb.HostHealth;
import dev.gateway.core.lb.TargetGroup;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The compiled runtime view of one configuration: the listeners to bind, the APIs on each, and each API's
 * {@link TargetGroup}. Immutable; a reload compiles a new one.
 *
 * <p>Compiling runs the checks that span several APIs. Each refused API becomes an error naming both sides:
 * a duplicate {@code api_id}, a second API with the same domain and listen path on one port, a second protocol
 * family on one port, or a port that {@code ports_whitelist} does not allow.
 */
public final class GatewaySnapshot {

    private final GatewayConfig config;
    private final Map<Integer, ListenerPlan> listeners;
    private final Map<String, TargetGroup> targetGroups;
    private final List<LoadProblem> problems;

    private GatewaySnapshot(GatewayConfig config, Map<Integer, ListenerPlan> listeners,
            Map<String, TargetGroup> targetGroups, List<LoadProblem> problems) {
        this.config = config;
        this.listeners = listeners;
        this.targetGroups = targetGroups;
        this.problems = problems;
    }

    public GatewayConfig config() {
        return config;
    }

    /** Listeners by port, the gateway's own port first. */
    public Map<Integer, ListenerPlan> listeners() {
        return listeners;
    }

    /** The target group of an API id, or {@code null}. */
    public TargetGroup targetGroup(String apiId) {
        return targetGroups.get(apiId);
    }

    /** Every API served, across listeners. */
    public List<LoadedApi> apis() {
        return listeners.values().stream().flatMap(l -> l.apis().stream()).toList();
    }

    /** The load report's problems followed by those found while compiling. */
    public List<LoadProblem> problems() {
        return problems;
    }

    /** Compiles a load report with one host health for every API. */
    public static GatewaySnapshot compile(LoadReport report, HostHealth health) {
        HostHealth.ByApi same = apiId -> health;
        return compile(report, same);
    }

    /** Compiles a load report; APIs that fail a cross-API check are left out and reported. */
    public static GatewaySnapshot compile(LoadReport report, HostHealth.ByApi health) {
        GatewayConfig config = report.config();
        List<LoadProblem> problems = new ArrayList<>(report.problems());
        ListenerProtocol gatewayProtocol = config.httpServerOptions().useSsl()
                ? ListenerProtocol.HTTPS : ListenerProtocol.HTTP;

        Map<Integer, PortClaim> ports = new LinkedHashMap<>();
        ports.put(config.listenPort(), new PortClaim(gatewayProtocol, null));
        Map<String, LoadedApi> byId = new HashMap<>();
        Map<String, LoadedApi> byRoute = new HashMap<>();
        Map<Integer, List<LoadedApi>> apisByPort = new LinkedHashMap<>();
        apisByPort.put(config.listenPort(), new ArrayList<>());
        Map<String, TargetGroup> groups = new HashMap<>();

        for (LoadedApi loaded : report.apis()) {
            ApiDefinition api = loaded.definition();
            String file = loaded.fileName();
            String id = api.apiId();

            LoadedApi sameId = byId.get(id);
            if (sameId != null) {
                problems.add(LoadProblem.error(file, "/api_id", id, "duplicate api_id '" + id + "': "
                        + idSource(loaded) + " and " + idSource(sameId) + " both give it; " + file
                        + " is not served"));
                continue;
            }

            int port = api.listenPort() == 0 ? config.listenPort() : api.listenPort();
            boolean onGatewayPort = port == config.listenPort();
            ListenerProtocol family = api.protocol().isEmpty() && onGatewayPort
                    ? gatewayProtocol : ListenerProtocol.ofApiProtocol(api.protocol());
            String whitelistKey = api.protocol().isEmpty() ? family.configName() : api.protocol();

            if (!onGatewayPort && !config.disablePortsWhitelist() && !whitelisted(config, whitelistKey, port)) {
                problems.add(LoadProblem.error(file, "/listen_port", id, "port " + port + " is not allowed for "
                        + whitelistKey + " by ports_whitelist; the API is not served"));
                continue;
            }

            PortClaim claim = ports.get(port);
            if (claim != null && claim.protocol != family) {
                String other = claim.owner == null
                        ? "the gateway's own port, which serves " + claim.protocol.configName()
                        : "API " + claim.owner.definition().apiId() + " in " + claim.owner.fileName()
                                + ", which serves " + claim.protocol.configName();
                problems.add(LoadProblem.error(file, "/protocol", id, "port " + port + " cannot serve "
                        + family.configName() + ": it already belongs to " + other));
                continue;
            }

            if (family.isHttp()) {
                String routeKey = port + " " + api.domain() + " " + ListenPaths.normalize(api.proxy().listenPath());
                LoadedApi sameRoute = byRoute.get(routeKey);
                if (sameRoute != null) {
                    problems.add(LoadProblem.error(file, "/proxy/listen_path", id, "domain '" + api.domain()
                            + "' and listen path '" + api.proxy().listenPath() + "' on port " + port
                            + " are already served by API " + sameRoute.definition().apiId() + " in "
                            + sameRoute.fileName()));
                    continue;
                }
                byRoute.put(routeKey, loaded);
                groups.put(id, new TargetGroup(ConfigLoader.httpTargets(api), health.forApi(id)));
            } else {
                // TCP and TLS services share a port told apart by SNI (terminated for tls, peeked for tcp), one
                // per domain; one without a domain is the port's default.
                String serviceKey = port + " " + api.domain().toLowerCase(Locale.ROOT);
                LoadedApi sameService = byRoute.get(serviceKey);
                if (sameService != null) {
                    problems.add(LoadProblem.error(file, api.domain().isEmpty() ? "/listen_port" : "/domain", id,
                            "port " + port + (api.domain().isEmpty() ? " without a domain"
                                    : " with domain '" + api.domain() + "'") + " already serves API "
                                    + sameService.definition().apiId() + " in " + sameService.fileName()));
                    continue;
                }
                byRoute.put(serviceKey, loaded);
                groups.put(id, new TargetGroup(ConfigLoader.tcpTargets(api), health.forApi(id)));
            }

            byId.put(id, loaded);
            if (claim == null) {
                ports.put(port, new PortClaim(family, loaded));
            }
            apisByPort.computeIfAbsent(port, p -> new ArrayList<>()).add(loaded);
        }

        Map<Integer, ListenerPlan> listeners = new LinkedHashMap<>();
        apisByPort.forEach((port, apis) -> listeners.put(port, new ListenerPlan(config.listenAddress(), port,
                ports.get(port).protocol, port == config.listenPort(), apis)));
        return new GatewaySnapshot(config, Collections.unmodifiableMap(listeners), Map.copyOf(groups),
                List.copyOf(problems));
    }

    /** A file and how it gives its id, for the duplicate-id message: the id may come from the file name. */
    private static String idSource(LoadedApi api) {
        return api.idFromFileName() ? api.fileName() + " (by its file name, having no api_id)"
                : api.fileName() + " (by its api_id)";
    }

    private static boolean whitelisted(GatewayConfig config, String protocol, int port) {
        GatewayConfig.PortWhitelist allowed = config.portsWhitelist().get(protocol);
        return allowed != null && allowed.allows(port);
    }

    private record PortClaim(ListenerProtocol protocol, LoadedApi owner) {
    }
}
