package dev.gateway.http.support;

import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.lb.HostHealth;
import dev.gateway.core.snapshot.GatewaySnapshot;
import dev.gateway.core.snapshot.ListenerPlan;
import dev.gateway.core.tls.PemKeyPair;
import dev.gateway.core.tls.TlsContexts;
import dev.gateway.core.tls.certificates.ServerCertificates;
import dev.gateway.core.transport.Transport;
import dev.gateway.http.HttpRoutes;
import dev.gateway.http.HttpSettings;
import dev.gateway.http.ProtocolRules;
import dev.gateway.http.ProtocolSwitch;
import dev.gateway.http.RequestFilters;
import dev.gateway.http.LocalService;
import dev.gateway.http.StatusEndpoint;
import dev.gateway.http.proxy.HttpListenerInitializer;
import dev.gateway.http.proxy.HttpProxy;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The HTTP proxy under test, wired the way the server module wires it: {@code tyk.conf} and {@code apps/*.json}
 * written as text into a folder, loaded by {@link ConfigLoader}, compiled into a snapshot, and every HTTP listener
 * of the snapshot bound on {@code 127.0.0.1} port 0 with {@link HttpListenerInitializer}. The event loops belong to
 * the test; {@link #close()} stops everything.
 */
public final class ProxyUnderTest implements AutoCloseable {

    /** The gateway's liveness document, as the server module's status endpoint would render it. */
    public static final String STATUS_BODY = "{\"status\": \"pass\", \"message\": \"test gateway\"}";

    /**
     * Event loops serving client connections. Upstream pools are per event loop, so client connections spread
     * over this many loops may open up to this many connections to one upstream.
     */
    public static final int WORKER_THREADS = 2;

    private final HttpProxy proxy;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final Map<Integer, Channel> listeners;
    private final AtomicInteger accepted;

    private ProxyUnderTest(HttpProxy proxy, EventLoopGroup acceptor, EventLoopGroup workers,
            Map<Integer, Channel> listeners, AtomicInteger accepted) {
        this.proxy = proxy;
        this.acceptor = acceptor;
        this.workers = workers;
        this.listeners = listeners;
        this.accepted = accepted;
    }

    public static Builder builder(Path folder) {
        return new Builder(folder);
    }

    /** Starts a gateway with default settings serving the given APIs. */
    public static ProxyUnderTest start(Path folder, TykApi... apis) throws Exception {
        Builder builder = builder(folder);
        for (TykApi api : apis) {
            builder.api(api);
        }
        return builder.start();
    }

    /** Collects the files and options, then loads and binds. */
    public static final class Builder {
        private final Path folder;
        private final TykConf conf = TykConf.defaults();
        private final List<TykApi> apis = new ArrayList<>();
        private final List<PemKeyPair> certificates = new ArrayList<>();
        private LocalService status = new StatusEndpoint("/hello", () -> STATUS_BODY);
        private ProtocolRules rules = ProtocolRules.HTTP;
        private UnaryOperator<HttpSettings> tuning = UnaryOperator.identity();
        private HostHealth health = HostHealth.ALWAYS_UP;
        private Function<HttpSettings, ProtocolSwitch> switches = settings -> ProtocolSwitch.NONE;
        private RequestFilters filters = RequestFilters.NONE;
        private ExchangeListener exchanges = ExchangeListener.NONE;

        private Builder(Path folder) {
            this.folder = folder;
        }

        /** Changes {@code tyk.conf} before it is written. */
        public Builder conf(Consumer<TykConf> change) {
            change.accept(conf);
            return this;
        }

        public Builder api(TykApi api) {
            apis.add(api);
            return this;
        }

        /**
         * Makes the gateway's port HTTPS ({@code use_ssl}, with the pairs listed under {@code certificates}) and
         * serves these certificates by SNI on every TLS listener; the first is the default.
         */
        public Builder https(PemKeyPair... pairs) {
            List<Object> entries = new ArrayList<>();
            for (PemKeyPair pair : pairs) {
                certificates.add(pair);
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("domain_name", pair.names().get(0));
                entry.put("cert_file", pair.certFile().toString());
                entry.put("key_file", pair.keyFile().toString());
                entries.add(entry);
            }
            conf.http("use_ssl", true).http("certificates", entries);
            return this;
        }

        /** Changes settings that have no place in Tyk's files, such as the upstream PING interval. */
        public Builder settings(UnaryOperator<HttpSettings> change) {
            this.tuning = change;
            return this;
        }

        /** What calls of a protocol over HTTP need (gRPC's rules); plain HTTP's by default. */
        public Builder rules(ProtocolRules rules) {
            this.rules = rules;
            return this;
        }

        /** The protocols a connection may switch to (WebSocket), made from the loaded settings; none by default. */
        public Builder switches(Function<HttpSettings, ProtocolSwitch> switches) {
            this.switches = switches;
            return this;
        }

        /** Which targets are up, as health checks would say; every one by default. */
        /** Told of the end of every exchange. */
        public Builder exchanges(ExchangeListener exchanges) {
            this.exchanges = exchanges;
            return this;
        }

        /** The request filters of each API. */
        public Builder filters(RequestFilters filters) {
            this.filters = filters;
            return this;
        }

        public Builder health(HostHealth health) {
            this.health = health;
            return this;
        }

        /** The gateway's own endpoints on its own port (the status endpoint by default); {@code null} for none. */
        public Builder local(LocalService status) {
            this.status = status;
            return this;
        }

        /** The files written and loaded, and the proxy every listener shares; the caller closes the proxy. */
        private record Loaded(LoadReport report, GatewaySnapshot snapshot, HttpSettings settings, HttpProxy proxy) {
        }

        private Loaded load() throws Exception {
            Path confFile = folder.resolve("tyk.conf");
            Path apps = Files.createDirectories(folder.resolve("apps"));
            Files.writeString(confFile, conf.toJson(), StandardCharsets.UTF_8);
            for (TykApi api : apis) {
                Files.writeString(apps.resolve(api.apiId() + ".json"), api.toJson(), StandardCharsets.UTF_8);
            }
            LoadReport report = ConfigLoader.load(confFile);
            GatewaySnapshot snapshot = GatewaySnapshot.compile(report, health);
            List<LoadProblem> errors = snapshot.problems().stream().filter(LoadProblem::isError).toList();
            if (!errors.isEmpty()) {
                throw new IllegalStateException("the test configuration does not load: " + errors);
            }
            HttpSettings settings = tuning.apply(HttpSettings.from(report.config()));
            HttpProxy proxy = new HttpProxy(settings, Transport.select(), TlsContexts.forClients(), rules,
                    switches.apply(settings), exchanges);
            return new Loaded(report, snapshot, settings, proxy);
        }

        /**
         * The gateway's own cleartext HTTP/1.1 port without a socket, for {@code EmbeddedChannel} tests: each
         * channel given {@link Embedded#initializer} gets the pipeline an accepted connection gets.
         */
        public Embedded embedded() throws Exception {
            Loaded loaded = load();
            ListenerPlan plan = loaded.snapshot().listeners().values().stream().filter(ListenerPlan::gatewayPort)
                    .findFirst().orElseThrow();
            HttpRoutes routes = HttpRoutes.compile(plan, loaded.snapshot(), loaded.settings(), filters);
            return new Embedded(loaded.proxy(), new HttpListenerInitializer(loaded.proxy(), () -> routes, null,
                    status, false), routes);
        }

        public ProxyUnderTest start() throws Exception {
            Loaded loaded = load();
            LoadReport report = loaded.report();
            GatewaySnapshot snapshot = loaded.snapshot();
            HttpSettings settings = loaded.settings();
            HttpProxy proxy = loaded.proxy();
            Transport transport = Transport.select();
            EventLoopGroup acceptor = transport.newEventLoopGroup(1, "test-accept");
            EventLoopGroup workers = transport.newEventLoopGroup(WORKER_THREADS, "test-gateway");
            Map<Integer, Channel> listeners = new LinkedHashMap<>();
            AtomicInteger accepted = new AtomicInteger();
            ProxyUnderTest gateway = new ProxyUnderTest(proxy, acceptor, workers, listeners, accepted);
            try {
                for (ListenerPlan plan : snapshot.listeners().values()) {
                    if (!plan.protocol().isHttp()) {
                        continue;
                    }
                    HttpRoutes routes = HttpRoutes.compile(plan, snapshot, settings, filters);
                    boolean http2 = report.config().httpServerOptions().enableHttp2();
                    // The certificates given to https(), asking for client ones as the gateway's ports do.
                    Mapping<String, SslContext> sni = plan.protocol().isTls()
                            ? TlsContexts.serverMapping(certificates, report.config().httpServerOptions().minVersion(),
                                    http2, ServerCertificates.clientRequest(plan, folder))
                            : null;
                    HttpListenerInitializer initializer = new HttpListenerInitializer(proxy, () -> routes, sni,
                            plan.gatewayPort() ? status : null, http2);
                    ServerBootstrap bootstrap = transport.listener(acceptor, workers)
                            .childHandler(new ChannelInitializer<Channel>() {
                                @Override
                                protected void initChannel(Channel ch) {
                                    accepted.incrementAndGet();
                                    ch.pipeline().addLast(initializer);
                                }
                            });
                    Channel channel = bootstrap.bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
                    listeners.put(plan.port(), channel);
                }
            } catch (Exception | Error e) {
                gateway.close();
                throw e;
            }
            return gateway;
        }
    }

    /**
     * A listener's pipeline without a socket, its compiled routes, and the proxy behind it, which {@link #close}
     * closes.
     */
    public record Embedded(HttpProxy proxy, HttpListenerInitializer initializer, HttpRoutes routes)
            implements AutoCloseable {
        @Override
        public void close() {
            proxy.close();
        }
    }

    /** The bound port of the gateway's own listener. */
    public int port() {
        return port(TykConf.LISTEN_PORT);
    }

    /** The bound port that stands for a configured {@code listen_port}. */
    public int port(int configuredPort) {
        Channel channel = listeners.get(configuredPort);
        if (channel == null) {
            throw new IllegalArgumentException("no listener for configured port " + configuredPort + "; bound: "
                    + listeners.keySet());
        }
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** {@code http://127.0.0.1:port} plus the path, on the gateway's port. */
    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    /** Client connections accepted so far, on every listener. */
    public int acceptedConnections() {
        return accepted.get();
    }

    public HttpSettings settings() {
        return proxy.settings();
    }

    /**
     * Stops taking new connections and drains the open ones, as a gateway stop does.
     *
     * @return completes when every client connection is closed
     */
    public Future<Void> drain() {
        listeners.values().forEach(channel -> channel.close().awaitUninterruptibly());
        return proxy.drain();
    }

    /** The first step of a stop, listeners still accepting: connections are asked to go (see HttpProxy#goAway). */
    public void goAway() {
        proxy.goAway();
    }

    /**
     * Starts draining while the listeners still accept, the instant after a stop begins when a connection can
     * still be accepted.
     */
    public Future<Void> drainKeepingListenersOpen() {
        return proxy.drain();
    }

    @Override
    public void close() {
        listeners.values().forEach(channel -> channel.close().awaitUninterruptibly());
        proxy.close();
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
