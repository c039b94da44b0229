package dev.gateway.server;

import dev.gateway.core.config.ConfigException;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.net.ConnectionLimits;
import dev.gateway.core.snapshot.GatewaySnapshot;
import dev.gateway.core.snapshot.ListenerPlan;
import dev.gateway.core.snapshot.ListenerProtocol;
import dev.gateway.core.transport.Transport;
import dev.gateway.http.HttpRoutes;
import dev.gateway.http.RequestFilters;
import dev.gateway.http.LocalService;
import dev.gateway.http.proxy.HttpListenerInitializer;
import dev.gateway.http.proxy.HttpProxy;
import dev.gateway.tcp.TcpProxy;
import dev.gateway.tcp.TcpRoutes;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ports a gateway has bound and how a new snapshot changes them: a port that keeps its protocol keeps its
 * channel and gets the new routes and certificates through atomic references, a port whose protocol changed is
 * bound again, and a port no API uses any more is closed. Routes and certificates are compiled only for what
 * changed ({@link CompiledApis}, {@link PortCertificates}). Not thread-safe: {@link Gateway} calls it under its lock.
 */
final class Listeners {

    private static final Logger log = LoggerFactory.getLogger(Listeners.class);

    private final GatewayConfig config;
    private final Transport transport;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final HttpProxy http;
    private final TcpProxy tcp;
    /** Each API's routes or TCP service, kept across reloads for the APIs that did not change. */
    private final CompiledApis compiled;
    /** Each TLS port's contexts, kept across reloads while what they are made of did not change. */
    private final PortCertificates certificates;
    /** The gateway's own endpoints (status, control API), served on its own port only. */
    private final LocalService local;
    /** The control API's own port, when {@code control_api_port} asks for one. */
    private Channel control;
    /** Port to bind instead of {@code listen_port}, or -1; 0 binds an ephemeral port (tests, {@code --port 0}). */
    private final int gatewayPortOverride;
    private final Map<Integer, BoundListener> bound = new LinkedHashMap<>();
    /** The caps on client connections, shared by every listener, kept across reloads. */
    private final ConnectionLimits limits;

    /** One bound port and the references its connections read. */
    private record BoundListener(ListenerPlan plan, Channel channel, AtomicReference<HttpRoutes> routes,
            AtomicReference<Mapping<String, SslContext>> certificates, AtomicReference<TcpRoutes> tcpRoutes) {
    }

    Listeners(GatewayConfig config, Path confDir, Transport transport, EventLoopGroup acceptors,
            EventLoopGroup workers, HttpProxy http, TcpProxy tcp, RequestFilters filters, LocalService local,
            int gatewayPortOverride) {
        this.config = config;
        this.compiled = new CompiledApis(config, confDir, http.settings(), filters);
        this.certificates = new PortCertificates(config, confDir);
        this.transport = transport;
        this.acceptors = acceptors;
        this.workers = workers;
        this.http = http;
        this.tcp = tcp;
        this.local = local;
        this.gatewayPortOverride = gatewayPortOverride;
        this.limits = ConnectionLimits.of(config.maxConnections(), config.maxConnectionsPerListener());
    }

    ConnectionLimits limits() {
        return limits;
    }

    /** Bound port to protocol, in the order of the plans. */
    Map<Integer, String> ports() {
        Map<Integer, String> ports = new LinkedHashMap<>();
        bound.forEach((port, l) -> ports.put(((InetSocketAddress) l.channel.localAddress()).getPort(),
                l.plan.protocol().configName()));
        return ports;
    }

    /** The port actually bound for a configured port, or -1 when none is. */
    int boundPort(int configuredPort) {
        BoundListener listener = bound.get(configuredPort);
        return listener == null ? -1 : ((InetSocketAddress) listener.channel.localAddress()).getPort();
    }

    /** Each bound port as {@code port/protocol [api ids]}, for the start-up line. */
    List<String> summary() {
        List<String> ports = new ArrayList<>();
        bound.values().forEach(l -> ports.add(((InetSocketAddress) l.channel.localAddress()).getPort() + "/"
                + l.plan.protocol().configName() + " " + apiIds(l.plan)));
        return ports;
    }

    /**
     * Opens {@code control_api_port}: {@code service} (the control API and the status endpoint) and nothing else,
     * with the gateway port's protocol and certificates. Failing to bind it fails the start.
     */
    void openControl(int port, LocalService service) throws ConfigException, InterruptedException {
        ListenerProtocol protocol = config.httpServerOptions().useSsl() ? ListenerProtocol.HTTPS
                : ListenerProtocol.HTTP;
        ListenerPlan plan = new ListenerPlan(config.listenAddress(), port, protocol, false, List.of());
        // The gateway port's certificates, as they are after each reload.
        AtomicReference<Mapping<String, SslContext>> gatewayCertificates = bound.values().stream()
                .filter(l -> l.plan.gatewayPort()).map(BoundListener::certificates).findFirst().orElse(null);
        Mapping<String, SslContext> sni = gatewayCertificates == null || gatewayCertificates.get() == null ? null
                : name -> gatewayCertificates.get().map(name);
        ServerBootstrap bootstrap = transport.listener(acceptors, workers).handler(limits.gate(describe(plan)))
                .childHandler(new HttpListenerInitializer(http, HttpRoutes::empty, sni, service,
                        config.httpServerOptions().enableHttp2()));
        InetSocketAddress address = plan.address().isEmpty()
                ? new InetSocketAddress(port) : new InetSocketAddress(plan.address(), port);
        try {
            control = bootstrap.bind(address).sync().channel();
        } catch (Exception e) {
            throw new ConfigException(LoadProblem.error("tyk.conf", "/control_api_port", "",
                    "cannot listen on " + describe(plan) + ": " + e));
        }
    }

    /** The control API's own port as bound, or -1 when it has none. */
    int controlPort() {
        return control == null ? -1 : ((InetSocketAddress) control.localAddress()).getPort();
    }

    /** Stops accepting on every port; open connections are left to the caller's drain. */
    void closeAll() {
        if (control != null) {
            control.close().awaitUninterruptibly();
            control = null;
        }
        bound.values().forEach(l -> l.channel.close().awaitUninterruptibly());
        bound.clear();
    }

    /**
     * Makes the bound ports those of {@code next}.
     *
     * @param starting whether this is the first snapshot: then the gateway's own port failing stops the start
     * @throws ConfigException when starting and the gateway's own port cannot be served
     */
    void apply(GatewaySnapshot next, boolean starting) throws ConfigException, InterruptedException {
        compiled.begin();
        certificates.begin();
        Map<Integer, BoundListener> kept = new LinkedHashMap<>();
        for (ListenerPlan plan : next.listeners().values()) {
            BoundListener existing = bound.get(plan.port());
            if (existing != null && existing.plan == plan) {
                kept.put(plan.port(), existing); // a port a targeted reload did not touch
            } else if (plan.protocol().isHttp()) {
                applyHttp(plan, next, starting, kept);
            } else {
                applyTcp(plan, next, kept);
            }
        }
        for (Map.Entry<Integer, BoundListener> old : bound.entrySet()) {
            if (!kept.containsKey(old.getKey())) {
                // Open connections keep flowing; only new ones are refused. Their next requests find no API
                // (404) instead of the routes of a port that no API uses any more.
                forget(old.getValue());
                // Closed before reload returns (it runs off the event loops): the port is free once this is logged.
                old.getValue().channel.close().awaitUninterruptibly();
                log.info("closed listener {}: no API uses it any more", describe(old.getValue().plan));
            }
        }
        bound.clear();
        bound.putAll(kept);
        compiled.applied(next.listeners().keySet());
        certificates.applied(next.listeners());
    }

    /** An http or https port: kept with its new routes when it already serves that protocol, bound otherwise. */
    private void applyHttp(ListenerPlan plan, GatewaySnapshot next, boolean starting,
            Map<Integer, BoundListener> kept) throws ConfigException, InterruptedException {
        HttpRoutes routes = compiled.httpRoutes(plan, next);
        BoundListener existing = bound.get(plan.port());
        Mapping<String, SslContext> certificates;
        try {
            certificates = this.certificates.of(plan, next);
        } catch (ConfigException e) {
            if (starting && plan.gatewayPort()) {
                throw e;
            }
            keepAsItWas(plan, existing, kept, e);
            return;
        }
        if (existing != null && existing.plan.protocol() == plan.protocol()) {
            existing.routes.set(routes);
            if (certificates != null) {
                existing.certificates.set(certificates);
            }
            kept.put(plan.port(), new BoundListener(plan, existing.channel, existing.routes,
                    existing.certificates, null));
            return;
        }
        if (existing != null) {
            // Its open connections must not keep routing by the old plan (see apply).
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

    /**
     * An API's unusable certificate refuses its port, not the whole load: the other listeners are still applied
     * (and none is left bound but untracked). On a reload the port keeps serving as it was.
     */
    private void keepAsItWas(ListenerPlan plan, BoundListener existing, Map<Integer, BoundListener> kept,
            ConfigException unusable) {
        log.error("cannot serve {} for APIs {}: {}", describe(plan), apiIds(plan), unusable.getMessage());
        if (existing != null) {
            kept.put(plan.port(), existing);
        }
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
        BoundListener existing = bound.get(plan.port());
        Mapping<String, SslContext> certificates;
        try {
            certificates = this.certificates.of(plan, next);
        } catch (ConfigException e) {
            keepAsItWas(plan, existing, kept, e);
            return;
        }
        TcpRoutes routes = compiled.tcpRoutes(plan, next, certificates);
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
            ServerBootstrap bootstrap = transport.listener(acceptors, workers).handler(limits.gate(describe(plan)))
                    .childHandler(tcp.listener(ref::get));
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
        ServerBootstrap bootstrap = transport.listener(acceptors, workers).handler(limits.gate(describe(plan)))
                .childHandler(new HttpListenerInitializer(http, routeRef::get, sni,
                        plan.gatewayPort() ? local : null, http2(plan))
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
}
