package dev.gateway.server;

import dev.gateway.core.config.ConfigException;
import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.config.Policy;
import dev.gateway.core.config.PolicyLoader;
import dev.gateway.core.snapshot.GatewaySnapshot;
import dev.gateway.healthcheck.HealthMonitor;
import dev.gateway.healthcheck.ServiceDiscoveryPoller;
import dev.gateway.plugins.EndpointPlugins;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configuration in service: the snapshot the listeners serve and the policies keys name, and the ways a reload
 * changes them, full (every file read) or targeted (the files named). Readers on any thread see the snapshot and the
 * policies through volatile fields; changes are not thread-safe: the gateway makes them under its lock.
 */
final class InService {

    /** The gateway's logger: its "reloaded:" lines are what operators and scripts look for. */
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final Path confFile;
    private final GatewayConfig config;
    private final HealthMonitor health;
    private final Listeners listeners;
    private final EndpointPlugins plugins;
    private final ServiceDiscoveryPoller discovery;
    private volatile GatewaySnapshot snapshot;
    /** The policies keys name, by id; read again on every full reload. */
    private volatile Map<String, Policy> policies = Map.of();

    /**
     * @param confFile {@code tyk.conf}, absolute
     * @param config what {@code tyk.conf} held at the start, in force until a restart
     */
    InService(Path confFile, GatewayConfig config, HealthMonitor health, Listeners listeners, EndpointPlugins plugins,
            ServiceDiscoveryPoller discovery) {
        this.confFile = confFile;
        this.config = config;
        this.health = health;
        this.listeners = listeners;
        this.plugins = plugins;
        this.discovery = discovery;
    }

    /** The snapshot in service; {@code null} until the first load is applied. */
    GatewaySnapshot snapshot() {
        return snapshot;
    }

    Map<String, Policy> policies() {
        return policies;
    }

    /** The first load: its policies, then its snapshot. */
    void start(LoadReport report) throws ConfigException, InterruptedException {
        loadPolicies();
        apply(compile(report), true);
    }

    /** A full reload; see {@link Gateway#reload()}. */
    void reload() {
        log.info("reloading {}", confFile);
        ReloadClock clock = new ReloadClock();
        LoadReport report;
        try {
            report = ConfigLoader.load(confFile);
        } catch (ConfigException e) {
            log.error("reload refused, still serving the previous configuration: {}", e.getMessage());
            return;
        }
        if (!report.config().equals(config)) {
            log.warn("tyk.conf settings other than API definitions changed; they take effect after a restart");
        }
        // The running tyk.conf stays in force, as the warning says: compiled against a changed listen_port, the
        // snapshot would move the gateway's own listener (or, under --port, fail to bind and close it).
        report = new LoadReport(config, report.confFile(), report.appDir(), report.apis(), report.problems());
        report = DefinitionFiles.keepLastGoodVersions(report, snapshot);
        loadPolicies();
        clock.read();
        try {
            apply(compile(report), false);
            String figures = clock.applied(snapshot);
            log.info("reloaded: {} APIs on ports {} {}", snapshot.apiCount(), listeners.ports().keySet(), figures);
        } catch (ConfigException | InterruptedException e) {
            log.error("reload failed: {}", e.getMessage());
        }
    }

    /** A targeted reload; see {@link Gateway#reload(Collection, boolean)}. */
    void reload(Collection<Path> definitionFiles, boolean policiesChanged) {
        if (definitionFiles.isEmpty()) {
            loadPolicies();
            log.info("reloaded the policies: {} in service", policies.size());
            return;
        }
        ReloadClock clock = new ReloadClock();
        DefinitionFiles.Changes changes = DefinitionFiles.read(definitionFiles, confFile.getParent(), snapshot);
        if (policiesChanged) {
            loadPolicies();
        }
        clock.read();
        Optional<GatewaySnapshot> next = GatewaySnapshot.update(snapshot, changes.changed(), changes.gone(),
                changes.problems(), health.update(changes.definitions(), changes.goneIds()));
        if (next.isEmpty()) {
            log.info("changed: {}; they collide with other APIs, or other APIs wait for what they hold: reloading"
                    + " every file", fileNames(definitionFiles));
            reload();
            return;
        }
        try {
            applyListeners(next.get(), false);
            discovery.update(changes.definitions(), changes.goneIds(), snapshot::targetGroup);
            String figures = clock.applied(snapshot);
            log.info("reloaded: {} APIs on ports {} {}; read only {}", snapshot.apiCount(),
                    listeners.ports().keySet(), figures, fileNames(definitionFiles));
        } catch (ConfigException | InterruptedException e) {
            log.error("reload failed: {}", e.getMessage());
        }
    }

    private static List<String> fileNames(Collection<Path> files) {
        return files.stream().map(f -> f.getFileName().toString()).sorted().toList();
    }

    /** Reads the policies {@code tyk.conf} names; a policy that fails is skipped, with its problem logged. */
    private void loadPolicies() {
        List<LoadProblem> problems = new ArrayList<>();
        policies = PolicyLoader.load(config.auth().policies(), confFile, problems);
        problems.forEach(Gateway::logProblem);
    }

    /**
     * Compiles a configuration against the one in service, if any, so that only what changed is compiled; its uptime
     * tests run from now on and gate its target groups (an unchanged API's checks carry on as they were).
     */
    private GatewaySnapshot compile(LoadReport report) {
        return GatewaySnapshot.compile(report, health.apply(report.apis().stream().map(LoadedApi::definition)
                .toList()), snapshot);
    }

    private void apply(GatewaySnapshot next, boolean starting) throws ConfigException, InterruptedException {
        applyListeners(next, starting);
        discovery.apply(next.apis().stream().map(LoadedApi::definition).toList(), next::targetGroup);
    }

    /** Puts a snapshot in service on the listeners; service discovery is the caller's to update. */
    private void applyListeners(GatewaySnapshot next, boolean starting) throws ConfigException, InterruptedException {
        next.problems().forEach(Gateway::logProblem);
        listeners.apply(next, starting);
        snapshot = next;
        plugins.snapshotApplied(next::kept);
    }
}
