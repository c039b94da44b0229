package dev.gateway.core.snapshot;

import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.lb.HostHealth;
import dev.gateway.core.lb.TargetGroup;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
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

    GatewaySnapshot(GatewayConfig config, Map<Integer, ListenerPlan> listeners,
            Map<String, TargetGroup> targetGroups, List<LoadProblem> problems) {
        this.config = config;
        this.listeners = Collections.unmodifiableMap(new LinkedHashMap<>(listeners));
        this.targetGroups = Map.copyOf(targetGroups);
        this.problems = List.copyOf(problems);
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
        SnapshotCompiler compiler = new SnapshotCompiler(report, health);
        report.apis().forEach(compiler::add);
        return compiler.snapshot();
    }

}
