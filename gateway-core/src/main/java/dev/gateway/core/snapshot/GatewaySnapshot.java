package dev.gateway.core.snapshot;

import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.lb.HostHealth;
import dev.gateway.core.lb.TargetGroup;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
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
 *
 * <p>A reload compiles against the snapshot in service: an API whose {@link ApiInputs} are unchanged, under the
 * same {@code tyk.conf}, is {@linkplain #kept kept}: it gets the target group it had (its round robin and its view
 * of the health checks go on), and the modules that compile its routes keep theirs, keyed by that group. The
 * checks that span APIs run over every API each time; they are lookups, not compiles.
 */
public final class GatewaySnapshot {

    private final GatewayConfig config;
    private final Path confFile;
    private final Map<Integer, ListenerPlan> listeners;
    /** Every API served, by id. */
    private final Map<String, Served> served;
    private final int keptCount;
    private final List<LoadProblem> problems;

    /** One API served: its target group, what it was compiled from, and whether the snapshot before gave both. */
    record Served(TargetGroup group, ApiInputs inputs, boolean kept) {
    }

    /**
     * Takes over the map by API id that the compiler made, without copying it. It stays a hash map: the immutable
     * ones of {@code Map.copyOf} probe linearly, and ids that differ only in their last characters ({@code api-1} to
     * {@code api-999}) hash to neighbouring slots, so each lookup walked long runs of them; a reload makes a few per
     * API.
     */
    GatewaySnapshot(GatewayConfig config, Path confFile, Map<Integer, ListenerPlan> listeners,
            HashMap<String, Served> served, int keptCount, List<LoadProblem> problems) {
        this.config = config;
        this.confFile = confFile;
        this.listeners = Collections.unmodifiableMap(new LinkedHashMap<>(listeners));
        this.served = Collections.unmodifiableMap(served);
        this.keptCount = keptCount;
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
        Served api = served.get(apiId);
        return api == null ? null : api.group();
    }

    /** What the API of an id was compiled from, or {@code null} when it is not served. */
    public ApiInputs inputs(String apiId) {
        Served api = served.get(apiId);
        return api == null ? null : api.inputs();
    }

    /**
     * Whether the API of an id was kept from the snapshot compiled before, its inputs unchanged: its target group is
     * that snapshot's, and so may be everything compiled from it.
     */
    public boolean kept(String apiId) {
        Served api = served.get(apiId);
        return api != null && api.kept();
    }

    /** How many of the APIs served were kept from the snapshot before; the others were compiled. */
    public int keptCount() {
        return keptCount;
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
        return compile(report, health, null);
    }

    /**
     * Compiles a load report against the snapshot in service: an API whose inputs did not change keeps its target
     * group from {@code previous}, and {@code health} is not asked for it (an unchanged API has unchanged checks, so
     * the health its group reads is still the right one). When {@code tyk.conf} differs from {@code previous}'s,
     * nothing is kept.
     *
     * @param previous the snapshot in service, or {@code null} to compile every API
     */
    public static GatewaySnapshot compile(LoadReport report, HostHealth.ByApi health, GatewaySnapshot previous) {
        boolean sameBasis = previous != null && previous.config.equals(report.config())
                && previous.confFile.equals(report.confFile().toAbsolutePath());
        SnapshotCompiler compiler = new SnapshotCompiler(report, health, sameBasis ? previous : null);
        report.apis().forEach(compiler::add);
        return compiler.snapshot();
    }

    /** The target group of an API when {@code now} are the inputs it was compiled from here; else {@code null}. */
    TargetGroup keptGroup(String apiId, ApiInputs now) {
        Served before = served.get(apiId);
        return before != null && now.sameAs(before.inputs()) ? before.group() : null;
    }

}
