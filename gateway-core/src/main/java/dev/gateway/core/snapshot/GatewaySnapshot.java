package dev.gateway.core.snapshot;

import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.lb.HostHealth;
import dev.gateway.core.lb.TargetGroup;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
 * checks that span APIs run over every API each time; they are lookups, not compiles. A targeted reload, which knows
 * which files changed, {@linkplain #update updates} the snapshot in service instead, and touches nothing else.
 */
public final class GatewaySnapshot {

    private final GatewayConfig config;
    private final Path confFile;
    private final Map<Integer, ListenerPlan> listeners;
    /** Every API served, by id, by route and by file. */
    private final Index index;
    /** The APIs this snapshot compiled; every other one it serves it kept from the snapshot before. */
    private final Set<String> compiled;
    /** How many APIs a check that spans APIs refused: while any is, only a compile of every file can serve it. */
    private final int refusals;
    private final List<LoadProblem> problems;

    /** One API served: its definition, its route key, its target group, and what it was compiled from. */
    record Served(LoadedApi api, String routeKey, TargetGroup group, ApiInputs inputs) {
    }

    /**
     * The APIs served by id, by route key and by file, in {@link SharedMap}s: a targeted update copies the index of
     * the snapshot in service at the cost of the shards it changes, not of every API. (Not {@code Map.copyOf}'s maps
     * either way: they probe linearly, and ids that differ only in their last characters, {@code api-1} to
     * {@code api-999}, hash to neighbouring slots, so each lookup walked long runs of them.) A snapshot's index is
     * never changed once the snapshot is made.
     */
    record Index(SharedMap<String, Served> byId, SharedMap<String, LoadedApi> routes, SharedMap<Path, Served> byFile) {

        static Index sized(int apis) {
            return new Index(SharedMap.sized(apis), SharedMap.sized(apis), SharedMap.sized(apis));
        }

        Index copy() {
            return new Index(byId.copy(), routes.copy(), byFile.copy());
        }

        Served byId(String id) {
            return byId.get(id);
        }

        LoadedApi byRoute(String routeKey) {
            return routes.get(routeKey);
        }

        void put(Served served) {
            byId.put(served.api().definition().apiId(), served);
            routes.put(served.routeKey(), served.api());
            byFile.put(served.api().file(), served);
        }

        /** Forgets the API of a file; returns it, or {@code null} when none is served from it. */
        Served remove(Path file) {
            Served served = byFile.remove(file);
            if (served != null) {
                byId.remove(served.api().definition().apiId());
                routes.remove(served.routeKey());
            }
            return served;
        }
    }

    GatewaySnapshot(GatewayConfig config, Path confFile, Map<Integer, ListenerPlan> listeners, Index index,
            Set<String> compiled, int refusals, List<LoadProblem> problems) {
        this.config = config;
        this.confFile = confFile;
        this.listeners = Collections.unmodifiableMap(listeners); // the compiler's own map, made for this snapshot
        this.index = index;
        this.compiled = Collections.unmodifiableSet(compiled);
        this.refusals = refusals;
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
        Served api = index.byId(apiId);
        return api == null ? null : api.group();
    }

    /** What the API of an id was compiled from, or {@code null} when it is not served. */
    public ApiInputs inputs(String apiId) {
        Served api = index.byId(apiId);
        return api == null ? null : api.inputs();
    }

    /**
     * Whether the API of an id was kept from the snapshot compiled before, its inputs unchanged: its target group is
     * that snapshot's, and so may be everything compiled from it.
     */
    public boolean kept(String apiId) {
        return index.byId(apiId) != null && !compiled.contains(apiId);
    }

    /** How many of the APIs served were kept from the snapshot before; the others were compiled. */
    public int keptCount() {
        return index.byId().size() - compiled.size();
    }

    /** How many APIs are served. */
    public int apiCount() {
        return index.byId().size();
    }

    /** The API served by id, or {@code null}. */
    public LoadedApi api(String apiId) {
        Served api = index.byId(apiId);
        return api == null ? null : api.api();
    }

    /** The API served from a definition file, or {@code null}. */
    public LoadedApi apiOfFile(Path file) {
        Served api = index.byFile().get(file);
        return api == null ? null : api.api();
    }

    /** Every API served, across listeners. */
    public List<LoadedApi> apis() {
        return listeners.values().stream().flatMap(l -> l.apis().stream()).toList();
    }

    /**
     * The problems of the compile that made this snapshot: the load report's, followed by those found while
     * compiling (for a targeted update, those of the files it read).
     */
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

    /**
     * A targeted reload: the snapshot in service with the APIs of some definition files changed, read again by the
     * caller, and every other API as it was: kept, with its target group and its port's plan, untouched. It runs
     * the checks that span APIs for the changed ones only.
     *
     * <p>Empty when only a compile of every file can say what the change does: when a check refuses a changed API
     * (which of two colliding APIs is served depends on the order of all files), or when the snapshot in service
     * refused one already (a change may free what it was refused for).
     *
     * @param changed the APIs of the files that changed and still load, as they are now
     * @param gone the files that changed and no longer give an API to serve (deleted, or not active)
     * @param problems the problems of reading those files
     * @param health the host health of the changed APIs
     */
    public static Optional<GatewaySnapshot> update(GatewaySnapshot previous, List<LoadedApi> changed,
            Collection<Path> gone, List<LoadProblem> problems, HostHealth.ByApi health) {
        if (previous.refusals > 0) {
            return Optional.empty();
        }
        SnapshotCompiler compiler = new SnapshotCompiler(previous, problems, health);
        gone.forEach(compiler::remove);
        changed.forEach(api -> compiler.remove(api.file()));
        for (LoadedApi api : changed.stream().sorted(Comparator.comparing(LoadedApi::file)).toList()) {
            if (!compiler.add(api)) {
                return Optional.empty();
            }
        }
        return Optional.of(compiler.snapshot());
    }

    Path confFile() {
        return confFile;
    }

    Index index() {
        return index;
    }

    /** The target group of an API when {@code now} are the inputs it was compiled from here; else {@code null}. */
    TargetGroup keptGroup(String apiId, ApiInputs now) {
        Served before = index.byId(apiId);
        return before != null && now.sameAs(before.inputs()) ? before.group() : null;
    }

}
