package dev.gateway.server;

import dev.gateway.core.config.ConfigException;
import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.config.Policy;
import dev.gateway.core.exchange.AccessLog;
import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.exchange.JsonAccessLog;
import dev.gateway.core.exchange.OpenStreams;
import dev.gateway.core.snapshot.GatewaySnapshot;
import dev.gateway.core.tls.TlsContexts;
import dev.gateway.core.transport.Transport;
import dev.gateway.grpc.GrpcRules;
import dev.gateway.healthcheck.HealthMonitor;
import dev.gateway.healthcheck.ServiceDiscoveryPoller;
import dev.gateway.auth.AuthFilters;
import dev.gateway.http.HttpSettings;
import dev.gateway.http.LocalService;
import dev.gateway.http.RequestFilters;
import dev.gateway.http.ResponseFilter;
import dev.gateway.http.StatusEndpoint;
import dev.gateway.http.proxy.HttpProxy;
import dev.gateway.plugins.EndpointPlugins;
import dev.gateway.server.metrics.GatewayMetrics;
import dev.gateway.server.status.RecentTraffic;
import dev.gateway.server.status.StatusPage;
import dev.gateway.ssews.WebSockets;
import dev.gateway.tcp.TcpProxy;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: its event loops, its listeners and the snapshot they serve. Start, reload and stop are
 * serialized; requests never wait for them, since listeners read routes through atomic references.
 */
public final class Gateway {

    /** How long the event loops must be idle before they end at a stop: enough for io_uring's last completions. */
    private static final long WORKERS_QUIET_MILLIS = 50;

    /** How long a stop waits for the event loops to end once they are idle; they normally take a few ms. */
    private static final long WORKERS_WAIT_MILLIS = 3_000;

    /** A stop step that takes longer than this is named in a warning. */
    private static final long SLOW_STOP_STEP_MILLIS = 1_000;

    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final Path confFile;
    private final GatewayConfig config;
    private final Transport transport;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final HttpProxy http;
    private final TcpProxy tcp;
    private final HealthMonitor health;
    private final ServiceDiscoveryPoller discovery;
    private final Listeners listeners;
    /** The endpoint plugins of every API; its circuit breakers outlive reloads. */
    private final EndpointPlugins plugins = new EndpointPlugins();
    /** The snapshot in service and the policies, and how reloads change them. */
    private final InService inService;
    /** Where keys, and the counters of their limits, are kept. */
    private final KeyStores keys;
    /** Every API's access chain; its bcrypt threads stop with the gateway. */
    private final AuthFilters auth;
    /** {@code watch_config_folders}; {@code null} when it is off. */
    private volatile FolderWatch folderWatch;
    /** Each API's last minute, for the status page. */
    private final RecentTraffic traffic = new RecentTraffic();
    /** {@code /status}; {@code null} when {@code status_page} is off. */
    private final StatusPage statusPage;
    /** Prometheus's {@code /metrics}, fed by every exchange's end. */
    private final GatewayMetrics metrics;
    /** Tyk's Gateway API, reloads and cluster notifications. */
    private final ControlPlane control;
    private final boolean controlOwnPort;
    private final StatusEndpoint status;
    private final ReadyEndpoint ready;

    /** {@code gatewayPortOverride}: the port to bind instead of {@code listen_port}, or -1 (see {@code start}). */
    private Gateway(Path confFile, GatewayConfig config, Transport transport, int gatewayPortOverride)
            throws SSLException, ConfigException {
        // First, so that a Redis that cannot be reached leaves no event loop behind.
        this.keys = KeyStores.open(config.auth());
        this.confFile = confFile.toAbsolutePath();
        this.config = config;
        this.transport = transport;
        this.acceptors = transport.newEventLoopGroup(1, "gateway-accept");
        this.workers = transport.newEventLoopGroup(config.effectiveIoThreads(), "gateway-io");
        TlsContexts upstreamTls = TlsContexts.forClients();
        HttpSettings httpSettings = HttpSettings.from(config);
        this.control = new ControlPlane(config, this.confFile, keys, this::policies, this::snapshot,
                this::reload);
        this.metrics = new GatewayMetrics(workers, control.executor());
        Supplier<CompletionStage<Void>> redisPing = keys.redis().isPresent() ? keys.redis().get()::ping : null;
        this.ready = new ReadyEndpoint(() -> snapshot() != null, redisPing,
                TimeUnit.SECONDS.toMillis(config.auth().storage().timeout()));
        // access_logs.enabled, read here only: the access log is a listener of every exchange's end, or absent. The
        // metrics are the other listener: every figure comes from there, never from a second path. The streams open
        // now are counted once, for the metrics' gauge and the status page alike.
        OpenStreams streams = new OpenStreams();
        ExchangeListener exchanges = ExchangeListener.both(accessLog(config.accessLogs()),
                ExchangeListener.both(config.metrics().enabled() ? metrics.exchanges() : ExchangeListener.NONE,
                        ExchangeListener.both(traffic, streams)));
        metrics.openStreams(streams);
        this.http = new HttpProxy(httpSettings, transport, upstreamTls, GrpcRules.INSTANCE,
                WebSockets.from(httpSettings, exchanges), exchanges);
        this.tcp = new TcpProxy(transport, upstreamTls, config.proxyDefaultTimeout(), config.tcpIdleTimeout(),
                exchanges);
        this.health = new HealthMonitor(workers, HealthMonitor.Settings.of(config.uptimeTests()), upstreamTls,
                transport.channelClass(), transport.newResolverGroup());
        GatewayGauges.register(metrics, http, health, plugins);
        this.statusPage = config.statusPage().enabled() ? new StatusPage(new StatusPage.Sources(this::snapshot,
                health::hosts, traffic, http::openConnections, streams), control.executor()) : null;
        this.discovery = new ServiceDiscoveryPoller(workers);
        this.status = new StatusEndpoint("/" + config.healthCheckEndpointName(),
                () -> StatusDocument.render(snapshot().apiCount(), transport.name()));
        this.auth = new AuthFilters(keys.sessions(), keys.limits(), config.auth(), config.ignoreEndpointCase(),
                this.confFile.getParent(), this::policies);
        this.controlOwnPort = config.auth().controlApiPort() != 0;
        this.listeners = new Listeners(config, this.confFile.getParent(), transport, acceptors, workers, http, tcp,
                filters(config, auth), controlOwnPort ? LocalService.first(status, ready)
                        : LocalService.first(status, ready, control.api(), served(config, metrics), statusPage),
                gatewayPortOverride);
        this.inService = new InService(this.confFile, config, health, listeners, plugins, discovery);
    }

    /** {@code /metrics}, unless {@code metrics.enabled} is off. */
    private static LocalService served(GatewayConfig config, GatewayMetrics metrics) {
        return config.metrics().enabled() ? metrics : null;
    }

    /** {@code access_logs}: the text line, the JSON one, or none. */
    private static ExchangeListener accessLog(GatewayConfig.AccessLogs settings) {
        if (!settings.enabled()) {
            return ExchangeListener.NONE;
        }
        return GatewayConfig.AccessLogs.JSON.equals(settings.format()) ? new JsonAccessLog(settings.template())
                : new AccessLog();
    }

    /**
     * Each API's filters: its endpoint plugins, with its access chain (authentication, key checks, limits) in its
     * place; and their response filters.
     */
    private RequestFilters filters(GatewayConfig config, AuthFilters auth) {
        RequestFilters withAccess = plugins.compiler(config, auth::of);
        return RequestFilters.of(withAccess::of, api -> {
            List<ResponseFilter> all = new ArrayList<>(withAccess.responseFilters(api));
            all.addAll(auth.responseFilters(api));
            return List.copyOf(all);
        });
    }

    /**
     * Loads the configuration and binds every listener.
     *
     * @throws ConfigException when {@code tyk.conf} is unusable or the gateway's own port cannot be bound
     */
    public static Gateway start(Path confFile) throws ConfigException, InterruptedException, SSLException {
        return start(confFile, -1);
    }

    /**
     * Loads the configuration and binds every listener, the gateway's own on {@code gatewayPort} instead of
     * {@code listen_port} when it is 0 or more (0 picks a free port; {@link #boundPort(int)} tells which).
     */
    public static Gateway start(Path confFile, int gatewayPort)
            throws ConfigException, InterruptedException, SSLException {
        // Absolute, as every reload reads it: an API's inputs include its file's path.
        LoadReport report = ConfigLoader.load(confFile.toAbsolutePath());
        Transport transport = transport(report.config(), confFile);
        if (!transport.fallbackReason().isEmpty()) {
            log.info("{}; using {}", transport.fallbackReason(), transport.name());
        }
        Gateway gateway = new Gateway(confFile, report.config(), transport, gatewayPort);
        try {
            gateway.inService.start(report);
            gateway.watchFolders(report.config());
            if (gateway.controlOwnPort) {
                gateway.listeners.openControl(report.config().auth().controlApiPort(),
                        LocalService.first(gateway.status, gateway.ready, gateway.control.api(),
                                served(report.config(), gateway.metrics),
                                gateway.statusPage));
            }
        } catch (ConfigException | RuntimeException | InterruptedException e) {
            gateway.stop(Duration.ZERO);
            throw e;
        }
        gateway.logStarted();
        return gateway;
    }

    /** The transport {@code tyk.conf} asks for; one named that cannot load here is a load error. */
    private static Transport transport(GatewayConfig config, Path confFile) throws ConfigException {
        try {
            return Transport.select(config.transport());
        } catch (IllegalStateException e) {
            throw new ConfigException(LoadProblem.error(confFile.getFileName().toString(), "/transport", "",
                    e.getMessage()));
        }
    }

    /** The ports bound now, for tests and the start-up line. */
    public synchronized Map<Integer, String> ports() {
        return listeners.ports();
    }

    /** The port of the control API's own listener, or -1 when it is served on the gateway port. */
    public synchronized int controlPort() {
        return listeners.controlPort();
    }

    /** The port the gateway's own listener is bound to. */
    public int gatewayPort() {
        return boundPort(config.listenPort());
    }

    /** The port actually bound for a configured port (they differ under a port override). */
    public synchronized int boundPort(int configuredPort) {
        return listeners.boundPort(configuredPort);
    }

    public GatewaySnapshot snapshot() {
        return inService == null ? null : inService.snapshot();
    }

    private Map<String, Policy> policies() {
        return inService.policies();
    }

    /**
     * Reads the API definitions again and applies them (a full reload). A file that fails keeps its API's last good
     * version serving; a {@code tyk.conf} that fails leaves everything as it was. Only the APIs whose inputs changed
     * are compiled; the others keep their compiled forms, with their state ({@link GatewaySnapshot#kept}).
     */
    public synchronized void reload() {
        inService.reload();
    }

    /**
     * A targeted reload: reads only the definition files named, which changed, and applies what they give to the
     * snapshot in service ({@link GatewaySnapshot#update}), leaving every other API, port and check untouched; with
     * {@code policiesChanged}, the policies are read again too. When only a compile of every file can say what the
     * change does (an API refused for colliding with another), it is a full {@link #reload()} instead.
     */
    public synchronized void reload(Collection<Path> definitionFiles, boolean policiesChanged) {
        inService.reload(definitionFiles, policiesChanged);
    }

    /** Starts {@code watch_config_folders}, when it is on: targeted reloads as files change in the folders. */
    private void watchFolders(GatewayConfig config) {
        if (config.watchConfigFolders().enabled()) {
            folderWatch = FolderWatch.start(config, confFile.getParent(), new FolderWatch.Changes() {
                @Override
                public void changed(List<Path> definitions, boolean policies) {
                    reload(definitions, policies);
                }

                @Override
                public void lostCount() {
                    control.reloads().request();
                }
            });
        }
    }

    /**
     * Stops in the order a load balancer in front needs, so that no request fails: at once {@code /ready} answers
     * 503 and every client connection is asked to go at its next request boundary (HTTP/1.1 {@code Connection:
     * close}, an HTTP/2 GOAWAY that refuses no stream), while the listeners still accept and serve for
     * {@code drainDelay}, the time the balancer's health checks need to take this gateway out (interval × fall);
     * then {@link #stop(Duration)}. With no delay, that is all there is. The delay runs outside this object's lock, so
     * the control API still answers during it.
     */
    public void stop(Duration drainDelay, Duration grace) {
        ready.stopping();
        if (!drainDelay.isZero() && !drainDelay.isNegative()) {
            log.info("stopping: /ready answers 503 and connections are asked to go; the listeners close in {} ms",
                    drainDelay.toMillis());
            http.goAway();
            try {
                Thread.sleep(drainDelay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stop(grace);
    }

    /**
     * Stops accepting, lets in-flight exchanges finish within {@code grace}, then closes what is left and shuts
     * the event loops down. {@code /ready} answers 503 from the start.
     */
    public synchronized void stop(Duration grace) {
        ready.stopping();
        log.info("stopping: no new connections; draining for up to {}s", grace.toSeconds());
        stopStep("closing the listeners", listeners::closeAll);
        if (!http.drain().awaitUninterruptibly(grace.toMillis())) {
            log.warn("grace period over; closing the remaining connections");
        }
        stopStep("stopping the health checks", health::close);
        stopStep("stopping service discovery", discovery::close);
        stopStep("closing the HTTP connections and pools", http::close);
        stopStep("closing the TCP relays", tcp::close);
        if (folderWatch != null) {
            folderWatch.close();
        }
        stopStep("closing the control plane", control::close);
        metrics.close();
        auth.close();
        stopStep("closing the key store", keys::close);
        stopStep("stopping the acceptors", () -> acceptors.shutdownGracefully(0, 1, TimeUnit.SECONDS)
                .awaitUninterruptibly());
        // A quiet period, not 0: closing the DNS resolvers' datagram channels cancels their pending reads, and
        // io_uring hands each read's buffer back only in the cancel's completion, which a loop that exits at once
        // never sees (a leak under paranoid detection).
        stopStep("stopping the event loops", () -> {
            if (!workers.shutdownGracefully(WORKERS_QUIET_MILLIS, 1_000, TimeUnit.MILLISECONDS)
                    .awaitUninterruptibly(WORKERS_WAIT_MILLIS)) {
                // Seen on CI, rarely: an io_uring loop took 40 s to end, most likely waiting for an operation still in
                // flight on a closed connection until the peer closed its side (40 s is the idle timeout of the JDK's
                // HTTP server, which the tests' upstreams are). Nothing is served any more; the loop ends on its own,
                // or with the process.
                log.warn("stopping: the event loops have not ended after {} ms (an operation still in flight on a"
                        + " closed connection); going on without them", WORKERS_WAIT_MILLIS);
            }
        });
        log.info("stopped");
    }

    /**
     * One step of a stop, named in a warning when it takes more than {@link #SLOW_STOP_STEP_MILLIS}: a stop that
     * outlasts a supervisor's patience (systemd's TimeoutStopSec, Kubernetes' grace period) says where it waited.
     */
    private static void stopStep(String what, Runnable step) {
        long started = System.nanoTime();
        step.run();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (millis > SLOW_STOP_STEP_MILLIS) {
            log.warn("stopping: {} took {} ms", what, millis);
        }
    }

    private void logStarted() {
        log.info("gateway started: transport={} io_threads={} tls={} max_connections={}{} listeners={} apis={}",
                transport.name(), config.effectiveIoThreads(), TlsContexts.provider(), listeners.limits().max(),
                listeners.limits().perListener() > 0 ? " (" + listeners.limits().perListener() + " per listener)" : "",
                listeners.summary(), snapshot().apiCount());
    }

    /** One line per problem of a configuration: errors as errors, the rest as warnings. */
    static void logProblem(LoadProblem problem) {
        if (problem.isError()) {
            log.error("config: {}", problem);
        } else {
            log.warn("config: {}", problem);
        }
    }
}
