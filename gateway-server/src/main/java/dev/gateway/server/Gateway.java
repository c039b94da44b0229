package dev.gateway.server;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ConfigException;
import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.exchange.AccessLog;
import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.snapshot.GatewaySnapshot;
import dev.gateway.core.snapshot.ListenerPlan;
import dev.gateway.core.tls.TlsContexts;
import dev.gateway.core.tls.certificates.ServerCertificates;
import dev.gateway.core.tls.certificates.UpstreamCertificates;
import dev.gateway.core.transport.Transport;
import dev.gateway.grpc.GrpcRules;
import dev.gateway.healthcheck.HealthMonitor;
import dev.gateway.healthcheck.ServiceDiscoveryPoller;
import dev.gateway.http.HttpRoutes;
import dev.gateway.http.HttpSettings;
import dev.gateway.http.StatusEndpoint;
import dev.gateway.http.proxy.HttpListenerInitializer;
import dev.gateway.http.proxy.HttpProxy;
import dev.gateway.ssews.WebSockets;
import dev.gateway.tcp.TcpProxy;
import dev.gateway.tcp.TcpRoutes;
import dev.gateway.tcp.TcpService;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: its event loops, its listeners and the snapshot they serve. Start, reload and stop are
 * serialized; requests never wait for them, since listeners read routes through atomic references.
 */
public final class Gateway {

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
    private final Map<Integer, BoundListener> listeners = new LinkedHashMap<>();
    /** Port to bind instead of {@code listen_port}, or -1; 0 binds an ephemeral port (tests, {@code --port 0}). */
    private final int gatewayPortOverride;
    private volatile GatewaySnapshot snapshot;

    /** One bound port and the references its connections read. */
    private record BoundListener(ListenerPlan plan, Channel channel, AtomicReference<HttpRoutes> routes,
            AtomicReference<Mapping<String, SslContext>> certificates, AtomicReference<TcpRoutes> tcpRoutes) {
    }

    private Gateway(Path confFile, GatewayConfig config, Transport transport, int gatewayPortOverride)
            throws SSLException {
        this.confFile = confFile.toAbsolutePath();
        this.gatewayPortOverride = gatewayPortOverride;
        this.config = config;
        this.transport = transport;
        this.acceptors = transport.newEventLoopGroup(1, "gateway-accept");
        this.workers = transport.newEventLoopGroup(config.effectiveIoThreads(), "gateway-io");
        TlsContexts upstreamTls = TlsContexts.forClients();
        HttpSettings httpSettings = HttpSettings.from(config);
        // access_logs.enabled, read here only: the access log is a listener of every exchange's end, or absent.
        ExchangeListener exchanges = config.accessLogs().enabled() ? new AccessLog() : ExchangeListener.NONE;
        this.http = new HttpProxy(httpSettings, transport, upstreamTls, GrpcRules.INSTANCE,
                WebSockets.from(httpSettings, exchanges), exchanges);
        this.tcp = new TcpProxy(transport, upstreamTls, config.proxyDefaultTimeout(), config.tcpIdleTimeout(),
                exchanges);
        this.health = new HealthMonitor(workers, healthSettings(config), upstreamTls, transport.channelClass(),
                transport.newResolverGroup());
        this.discovery = new ServiceDiscoveryPoller(workers);
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
        LoadReport report = ConfigLoader.load(confFile);
        Transport transport = Transport.select();
        if (!transport.fallbackReason().isEmpty()) {
            log.info("native epoll unavailable ({}); using NIO", transport.fallbackReason());
        }
        Gateway gateway = new Gateway(confFile, report.config(), transport, gatewayPort);
        try {
            gateway.apply(gateway.compile(report), true);
        } catch (ConfigException | RuntimeException | InterruptedException e) {
            gateway.stop(Duration.ZERO);
            throw e;
        }
        gateway.logStarted();
        return gateway;
    }

    /** The ports bound now, for tests and the start-up line. */
    public synchronized Map<Integer, String> ports() {
        Map<Integer, String> ports = new LinkedHashMap<>();
        listeners.forEach((port, l) -> ports.put(((InetSocketAddress) l.channel.localAddress()).getPort(),
                l.plan.protocol().configName()));
        return ports;
    }

    /** The port the gateway's own listener is bound to. */
    public int gatewayPort() {
        return boundPort(config.listenPort());
    }

    /** The port actually bound for a configured port (they differ under a port override). */
    public synchronized int boundPort(int configuredPort) {
        BoundListener listener = listeners.get(configuredPort);
        return listener == null ? -1 : ((InetSocketAddress) listener.channel.localAddress()).getPort();
    }

    public GatewaySnapshot snapshot() {
        return snapshot;
    }

    /**
     * Reads the API definitions again and applies them. A file that fails keeps its API's last good version
     * serving; a {@code tyk.conf} that fails leaves everything as it was.
     */
    public synchronized void reload() {
        log.info("reloading {}", confFile);
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
        report = keepLastGoodVersions(report);
        try {
            apply(compile(report), false);
            log.info("reloaded: {} APIs on ports {}", snapshot.apis().size(), ports().keySet());
        } catch (ConfigException | InterruptedException e) {
            log.error("reload failed: {}", e.getMessage());
        }
    }

    /** Compiles a configuration, its uptime tests running from now on and gating its target groups. */
    private GatewaySnapshot compile(LoadReport report) {
        return GatewaySnapshot.compile(report, health.apply(report.apis().stream().map(LoadedApi::definition)
                .toList()));
    }

    /** {@code uptime_tests} of {@code tyk.conf}, with Tyk's defaults: 3 failures, 10 seconds apart. */
    private static HealthMonitor.Settings healthSettings(GatewayConfig config) {
        GatewayConfig.UptimeTestsGlobalConfig checks = config.uptimeTests().config();
        int sampleSize = checks.failureTriggerSampleSize() == null || checks.failureTriggerSampleSize() < 1 ? 3
                : checks.failureTriggerSampleSize();
        int timeWait = checks.timeWait() == null || checks.timeWait() < 1 ? 10 : checks.timeWait();
        return new HealthMonitor.Settings(config.uptimeTests().disable(), sampleSize, Duration.ofSeconds(timeWait));
    }

    /** APIs whose file now fails to load are carried over from the snapshot in service. */
    private LoadReport keepLastGoodVersions(LoadReport report) {
        GatewaySnapshot current = snapshot;
        Set<String> failedFiles = report.errors().stream().map(LoadProblem::file).collect(Collectors.toSet());
        Set<String> loadedIds = report.apis().stream().map(a -> a.definition().apiId()).collect(Collectors.toSet());
        List<LoadedApi> apis = new ArrayList<>(report.apis());
        List<LoadProblem> problems = new ArrayList<>(report.problems());
        for (LoadedApi previous : current.apis()) {
            if (failedFiles.contains(previous.fileName()) && !loadedIds.contains(previous.definition().apiId())) {
                apis.add(previous);
                problems.add(LoadProblem.warning(previous.fileName(), "", previous.definition().apiId(),
                        "keeps serving its last good version"));
            }
        }
        return new LoadReport(report.config(), report.confFile(), report.appDir(), apis, problems);
    }

    private void apply(GatewaySnapshot next, boolean starting) throws ConfigException, InterruptedException {
        next.problems().forEach(Gateway::logProblem);
        Path confDir = confFile.getParent();
        Map<Integer, BoundListener> kept = new LinkedHashMap<>();
        for (ListenerPlan plan : next.listeners().values()) {
            if (!plan.protocol().isHttp()) {
                applyTcp(plan, next, kept);
                continue;
            }
            HttpRoutes routes = HttpRoutes.compile(plan, next, http.settings());
            BoundListener existing = listeners.get(plan.port());
            Mapping<String, SslContext> certificates = null;
            if (plan.protocol().isTls()) {
                try {
                    certificates = ServerCertificates.mapping(plan, config, confDir);
                } catch (ConfigException e) {
                    if (starting && plan.gatewayPort()) {
                        throw e;
                    }
                    // An API's unusable certificate refuses its port, not the whole load: the other listeners
                    // are still applied (and none is left bound but untracked). On a reload the port keeps
                    // serving as it was.
                    log.error("cannot serve {} for APIs {}: {}", describe(plan), apiIds(plan), e.getMessage());
                    if (existing != null) {
                        kept.put(plan.port(), existing);
                    }
                    continue;
                }
            }
            if (existing != null && existing.plan.protocol() == plan.protocol()) {
                existing.routes.set(routes);
                if (certificates != null) {
                    existing.certificates.set(certificates);
                }
                kept.put(plan.port(), new BoundListener(plan, existing.channel, existing.routes,
                        existing.certificates, null));
                continue;
            }
            if (existing != null) {
                // Its open connections must not keep routing by the old plan (see below).
                existing.routes.set(HttpRoutes.empty());
                existing.channel.close().sync();
            }
            try {
                kept.put(plan.port(), bind(plan, routes, certificates));
            } catch (Exception e) {
                if (starting && plan.gatewayPort()) {
                    throw new ConfigException(LoadProblem.error("tyk.conf", "/listen_port", "",
                            "cannot listen on " + describe(plan) + ": " + e));
                }
                log.error("cannot listen on {} for APIs {}: {}", describe(plan), apiIds(plan), e.toString());
            }
        }
        for (Map.Entry<Integer, BoundListener> old : listeners.entrySet()) {
            if (!kept.containsKey(old.getKey())) {
                // Open connections keep flowing; only new ones are refused. Their next requests find no API
                // (404) instead of the routes of a port that no API uses any more.
                forget(old.getValue());
                // Closed before reload returns (it runs off the event loops): the port is free once this is logged.
                old.getValue().channel.close().awaitUninterruptibly();
                log.info("closed listener {}: no API uses it any more", describe(old.getValue().plan));
            }
        }
        listeners.clear();
        listeners.putAll(kept);
        snapshot = next;
        discovery.apply(next.apis().stream().map(LoadedApi::definition).toList(), next::targetGroup);
    }

    /** A listener that stops serving: its open connections find no API for what they ask next. */
    private static void forget(BoundListener listener) {
        if (listener.routes != null) {
            listener.routes.set(HttpRoutes.empty());
        }
        if (listener.tcpRoutes != null) {
            listener.tcpRoutes.set(null);
        }
    }

    /** A tcp or tls port: kept with its new APIs when it already serves that protocol, bound otherwise. */
    private void applyTcp(ListenerPlan plan, GatewaySnapshot next, Map<Integer, BoundListener> kept)
            throws InterruptedException {
        BoundListener existing = listeners.get(plan.port());
        Mapping<String, SslContext> certificates = null;
        if (plan.protocol().isTls()) {
            try {
                certificates = ServerCertificates.mapping(plan, config, confFile.getParent());
            } catch (ConfigException e) {
                log.error("cannot serve {} for APIs {}: {}", describe(plan), apiIds(plan), e.getMessage());
                if (existing != null) {
                    kept.put(plan.port(), existing);
                }
                return;
            }
        }
        List<TcpService> services = new ArrayList<>();
        for (LoadedApi loaded : plan.apis()) {
            ApiDefinition api = loaded.definition();
            boolean insecure = config.proxySslInsecureSkipVerify() || api.proxy().transport().sslInsecureSkipVerify();
            try {
                services.add(new TcpService(api, next.targetGroup(api.apiId()), insecure,
                        UpstreamCertificates.contexts(loaded, next.targetGroup(api.apiId()), insecure,
                                confFile.getParent())));
            } catch (ConfigException e) {
                logProblem(e.problem());
            }
        }
        TcpRoutes routes = TcpRoutes.of(services, certificates);
        if (existing != null && existing.plan.protocol() == plan.protocol()) {
            existing.tcpRoutes.set(routes);
            kept.put(plan.port(), new BoundListener(plan, existing.channel, null, null, existing.tcpRoutes));
            return;
        }
        if (existing != null) {
            forget(existing);
            existing.channel.close().sync();
        }
        AtomicReference<TcpRoutes> ref = new AtomicReference<>(routes);
        try {
            ServerBootstrap bootstrap = transport.listener(acceptors, workers).childHandler(tcp.listener(ref::get));
            InetSocketAddress address = plan.address().isEmpty()
                    ? new InetSocketAddress(bindPort(plan)) : new InetSocketAddress(plan.address(), bindPort(plan));
            Channel channel = bootstrap.bind(address).sync().channel();
            kept.put(plan.port(), new BoundListener(plan, channel, null, null, ref));
        } catch (Exception e) {
            log.error("cannot listen on {} for APIs {}: {}", describe(plan), apiIds(plan), e.toString());
        }
    }

    private BoundListener bind(ListenerPlan plan, HttpRoutes routes, Mapping<String, SslContext> certificates)
            throws InterruptedException {
        AtomicReference<HttpRoutes> routeRef = new AtomicReference<>(routes);
        AtomicReference<Mapping<String, SslContext>> certRef = new AtomicReference<>(certificates);
        Mapping<String, SslContext> sni = certificates == null ? null : name -> certRef.get().map(name);
        StatusEndpoint status = plan.gatewayPort()
                ? new StatusEndpoint("/" + config.healthCheckEndpointName(),
                        () -> StatusDocument.render(snapshot.apis().size(), transport.name()))
                : null;
        ServerBootstrap bootstrap = transport.listener(acceptors, workers)
                .childHandler(new HttpListenerInitializer(http, routeRef::get, sni, status, http2(plan))
                        .expectingProxyProtocol(plan.apis().stream()
                                .anyMatch(api -> api.definition().enableProxyProtocol())));
        int port = bindPort(plan);
        InetSocketAddress address = plan.address().isEmpty()
                ? new InetSocketAddress(port) : new InetSocketAddress(plan.address(), port);
        Channel channel = bootstrap.bind(address).sync().channel();
        return new BoundListener(plan, channel, routeRef, certRef, null);
    }

    /**
     * Whether a listener's clients may speak HTTP/2: {@code enable_http2} turns it on everywhere (ALPN on TLS
     * ports, prior knowledge and upgrade on cleartext ones); an API with {@code protocol: "h2c"} turns it on for
     * its own cleartext port, as Tyk allows.
     */
    private boolean http2(ListenerPlan plan) {
        return config.httpServerOptions().enableHttp2() || (!plan.protocol().isTls()
                && plan.apis().stream().anyMatch(api -> api.definition().protocol().equals("h2c")));
    }

    /**
     * Stops accepting, lets in-flight exchanges finish within {@code grace}, then closes what is left and shuts
     * the event loops down.
     */
    public synchronized void stop(Duration grace) {
        log.info("stopping: no new connections; draining for up to {}s", grace.toSeconds());
        listeners.values().forEach(l -> l.channel.close().awaitUninterruptibly());
        listeners.clear();
        if (!http.drain().awaitUninterruptibly(grace.toMillis())) {
            log.warn("grace period over; closing the remaining connections");
        }
        health.close();
        discovery.close();
        http.close();
        tcp.close();
        acceptors.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        log.info("stopped");
    }

    private void logStarted() {
        List<String> ports = new ArrayList<>();
        listeners.values().forEach(l -> ports.add(((InetSocketAddress) l.channel.localAddress()).getPort() + "/"
                + l.plan.protocol().configName() + " " + apiIds(l.plan)));
        log.info("gateway started: transport={} io_threads={} tls={} listeners={} apis={}", transport.name(),
                config.effectiveIoThreads(), TlsContexts.provider(), ports, snapshot.apis().size());
    }

    private static List<String> apiIds(ListenerPlan plan) {
        return plan.apis().stream().map(a -> a.definition().apiId()).toList();
    }

    /** The port a plan binds: {@code --port} replaces the gateway's own {@code listen_port}. */
    private int bindPort(ListenerPlan plan) {
        return plan.gatewayPort() && gatewayPortOverride >= 0 ? gatewayPortOverride : plan.port();
    }

    /** Names the port as bound, not as configured: under {@code --port} the configured one would mislead. */
    private String describe(ListenerPlan plan) {
        return (plan.address().isEmpty() ? "*" : plan.address()) + ":" + bindPort(plan) + " ("
                + plan.protocol().configName() + ")";
    }

    private static void logProblem(LoadProblem problem) {
        if (problem.isError()) {
            log.error("config: {}", problem);
        } else {
            log.warn("config: {}", problem);
        }
    }
}
