package dev.gateway.tcp.support;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.lb.HostHealth;
import dev.gateway.core.lb.TargetGroup;
import dev.gateway.core.snapshot.GatewaySnapshot;
import dev.gateway.core.snapshot.ListenerPlan;
import dev.gateway.core.tls.TlsContexts;
import dev.gateway.core.tls.certificates.ServerCertificates;
import dev.gateway.core.tls.certificates.UpstreamCertificates;
import dev.gateway.core.transport.Transport;
import dev.gateway.tcp.TcpProxy;
import dev.gateway.tcp.TcpRoutes;
import dev.gateway.tcp.TcpService;
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
import java.util.concurrent.TimeUnit;

/**
 * The TCP proxy under test, wired the way the server module's {@code Gateway} wires it: {@code tyk.conf} and
 * {@code apps/*.json} loaded from a folder by {@link ConfigLoader}, compiled into a snapshot, and every {@code tcp}
 * and {@code tls} listener of the snapshot bound on {@code 127.0.0.1} port 0 with {@link TcpProxy#listener}. An
 * API's {@code listen_port} is only a name here; {@link #boundPort(int)} maps it to the bound port. Relative
 * certificate paths are resolved against the folder of {@code tyk.conf}, as the gateway does; the certificates of
 * a {@code tls} port and the {@code upstream_certificates} of an API are turned into contexts by the gateway's own
 * {@link ServerCertificates} and {@link UpstreamCertificates}. A configuration with load errors fails the test, and
 * so does a certificate that cannot be used (where the gateway would log it and refuse the port or the API).
 */
public final class TcpProxyUnderTest implements AutoCloseable {

    /** Event loops serving client connections (and, on the same loop, their upstreams). */
    public static final int WORKER_THREADS = 2;

    private final TcpProxy proxy;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final Map<Integer, Channel> listeners = new LinkedHashMap<>();

    private TcpProxyUnderTest(TcpProxy proxy, EventLoopGroup acceptor, EventLoopGroup workers) {
        this.proxy = proxy;
        this.acceptor = acceptor;
        this.workers = workers;
    }

    /** Loads {@code confFile} and binds every TCP and TLS listener it plans. */
    public static TcpProxyUnderTest start(Path confFile) throws Exception {
        return start(confFile, ExchangeListener.NONE);
    }

    /** Loads {@code confFile} and binds every TCP and TLS listener it plans; {@code exchanges} hears each relay. */
    public static TcpProxyUnderTest start(Path confFile, ExchangeListener exchanges) throws Exception {
        LoadReport report = ConfigLoader.load(confFile);
        GatewaySnapshot snapshot = GatewaySnapshot.compile(report, HostHealth.ALWAYS_UP);
        List<LoadProblem> errors = snapshot.problems().stream().filter(LoadProblem::isError).toList();
        if (!errors.isEmpty()) {
            throw new IllegalStateException("the test configuration does not load: " + errors);
        }
        GatewayConfig config = report.config();
        Path confDir = confFile.toAbsolutePath().getParent();
        Transport transport = Transport.select();
        TcpProxy proxy = new TcpProxy(transport, TlsContexts.forClients(), config.proxyDefaultTimeout(),
                config.tcpIdleTimeout(), exchanges);
        TcpProxyUnderTest gateway = new TcpProxyUnderTest(proxy, transport.newEventLoopGroup(1, "test-accept"),
                transport.newEventLoopGroup(WORKER_THREADS, "test-tcp"));
        try {
            for (ListenerPlan plan : snapshot.listeners().values()) {
                if (plan.protocol().isHttp()) {
                    continue;
                }
                List<TcpService> services = new ArrayList<>();
                for (LoadedApi loaded : plan.apis()) {
                    ApiDefinition api = loaded.definition();
                    boolean insecure = config.proxySslInsecureSkipVerify()
                            || api.proxy().transport().sslInsecureSkipVerify();
                    TargetGroup targets = snapshot.targetGroup(api.apiId());
                    services.add(new TcpService(api, targets, insecure,
                            UpstreamCertificates.contexts(loaded, targets, insecure, confDir)));
                }
                Mapping<String, SslContext> certificates = plan.protocol().isTls()
                        ? ServerCertificates.mapping(plan, config, confDir) : null;
                TcpRoutes routes = TcpRoutes.of(services, certificates);
                Channel channel = transport.listener(gateway.acceptor, gateway.workers)
                        .childHandler(proxy.listener(() -> routes))
                        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
                gateway.listeners.put(plan.port(), channel);
            }
        } catch (Exception | Error e) {
            gateway.close();
            throw e;
        }
        return gateway;
    }

    /** The bound port that stands for a configured {@code listen_port}. */
    public int boundPort(int configuredPort) {
        Channel channel = listeners.get(configuredPort);
        if (channel == null) {
            throw new IllegalArgumentException("no listener for configured port " + configuredPort + "; bound: "
                    + listeners.keySet());
        }
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Closes the listeners, then every relay, then the event loops. */
    @Override
    public void close() {
        listeners.values().forEach(channel -> channel.close().awaitUninterruptibly());
        proxy.close();
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
