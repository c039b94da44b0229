package dev.gateway.healthcheck;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ApiDefinition.ServiceDiscovery;
import dev.gateway.core.lb.Target;
import dev.gateway.core.lb.TargetGroup;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code proxy.service_discovery}: polls each API's {@code query_endpoint} and puts the hosts it returns in the
 * API's target group, which round robin (and the health checks' gating) then uses. A change takes effect for new
 * requests and connections; open ones are left alone. A poll that fails, or returns no host, keeps the last
 * good list, with a log line.
 *
 * <p>A poll is a plain HTTP GET, every {@code cache_timeout} seconds ({@value #DEFAULT_INTERVAL_SECONDS} when it
 * is 0), timed on an event loop and sent with the JDK's asynchronous client: nothing blocks a loop.
 */
public final class ServiceDiscoveryPoller implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ServiceDiscoveryPoller.class);

    static final int DEFAULT_INTERVAL_SECONDS = 10;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    private static final Set<String> SCHEMES = Set.of("http", "https", "h2c", "tcp", "tls");

    private final EventLoopGroup loops;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build();
    /** The running pollers by API id. Changed under this poller's lock only. */
    private Map<String, ApiPoller> pollers = Map.of();

    public ServiceDiscoveryPoller(EventLoopGroup loops) {
        this.loops = loops;
    }

    /**
     * Polls for these APIs from now on, feeding their groups in {@code groups} (by API id). A poller whose API is
     * unchanged carries on, and its last good list goes into the new group at once, so a reload does not fall
     * back to the configured targets.
     */
    public synchronized void apply(List<ApiDefinition> apis, Function<String, TargetGroup> groups) {
        Map<String, ApiPoller> next = new HashMap<>();
        for (ApiDefinition api : apis) {
            pollerOf(api, groups, next);
        }
        Set<String> touched = new HashSet<>(pollers.keySet());
        touched.addAll(next.keySet());
        replace(touched, next);
    }

    /**
     * Polls for the {@code changed} APIs from now on, and no longer for the {@code gone} ones; the other APIs'
     * pollers carry on untouched, as {@link #apply} would leave them.
     */
    public synchronized void update(List<ApiDefinition> changed, Collection<String> gone,
            Function<String, TargetGroup> groups) {
        Map<String, ApiPoller> next = new HashMap<>(pollers);
        Set<String> touched = new HashSet<>(gone);
        gone.forEach(next::remove);
        for (ApiDefinition api : changed) {
            touched.add(api.apiId());
            next.remove(api.apiId());
            pollerOf(api, groups, next);
        }
        replace(touched, next);
    }

    /** Puts an API's poller into {@code next}, when it has one: the running one if its settings are the same. */
    private void pollerOf(ApiDefinition api, Function<String, TargetGroup> groups, Map<String, ApiPoller> next) {
        ServiceDiscovery config = api.proxy().serviceDiscovery();
        TargetGroup group = groups.apply(api.apiId());
        if (config == null || !config.useDiscoveryService() || config.queryEndpoint() == null
                || config.queryEndpoint().isBlank() || group == null) {
            return;
        }
        ApiPoller poller = pollers.get(api.apiId());
        if (poller == null || !poller.config.equals(config) || !poller.defaultScheme.equals(defaultScheme(api))) {
            poller = new ApiPoller(api.apiId(), config, defaultScheme(api));
        }
        poller.feed(group);
        next.put(api.apiId(), poller);
    }

    /** Stops the pollers of the {@code touched} APIs that {@code next} replaced or dropped, and starts the new ones. */
    private void replace(Collection<String> touched, Map<String, ApiPoller> next) {
        for (String id : touched) {
            ApiPoller old = pollers.get(id);
            ApiPoller now = next.get(id);
            if (old != null && now != old) {
                old.stop();
            }
            if (now != null) {
                now.startIfNew();
            }
        }
        pollers = next;
    }

    /** What a discovered host without a scheme is: the scheme of the API's {@code target_url}, or its default. */
    private static String defaultScheme(ApiDefinition api) {
        String protocol = api.protocol() == null ? "" : api.protocol();
        boolean tcp = protocol.equals("tcp") || protocol.equals("tls");
        String targetUrl = api.proxy().targetUrl() == null ? "" : api.proxy().targetUrl().trim();
        int end = targetUrl.indexOf("://");
        String scheme = end > 0 ? targetUrl.substring(0, end).toLowerCase(java.util.Locale.ROOT) : "";
        if (SCHEMES.contains(scheme) && tcp == (scheme.equals("tcp") || scheme.equals("tls"))) {
            return scheme;
        }
        return tcp ? "tcp" : "http";
    }

    @Override
    public synchronized void close() {
        pollers.values().forEach(ApiPoller::stop);
        pollers = Map.of();
    }

    /** One API's endpoint, polled again and again. */
    private final class ApiPoller {
        private final String apiId;
        private final ServiceDiscovery config;
        private final String defaultScheme;
        private final EventLoop loop = loops.next();
        private final long intervalNanos;
        private volatile TargetGroup group;
        private volatile List<Target> lastGood;
        private volatile boolean stopped;
        private boolean started;
        private ScheduledFuture<?> nextPoll;

        ApiPoller(String apiId, ServiceDiscovery config, String defaultScheme) {
            this.apiId = apiId;
            this.config = config;
            this.defaultScheme = defaultScheme;
            int seconds = config.cacheTimeout() == null || config.cacheTimeout() <= 0 ? DEFAULT_INTERVAL_SECONDS
                    : config.cacheTimeout();
            this.intervalNanos = TimeUnit.SECONDS.toNanos(seconds);
        }

        void feed(TargetGroup next) {
            group = next;
            List<Target> known = lastGood;
            if (known != null) {
                next.replaceTargets(known);
            }
        }

        void startIfNew() {
            if (!started) {
                started = true;
                loop.execute(this::poll);
            }
        }

        void stop() {
            stopped = true;
            loop.execute(() -> {
                if (nextPoll != null) {
                    nextPoll.cancel(false);
                }
            });
        }

        private void poll() {
            if (stopped) {
                return;
            }
            HttpRequest request;
            try {
                request = HttpRequest.newBuilder(URI.create(config.queryEndpoint().trim())).timeout(REQUEST_TIMEOUT)
                        .GET().build();
            } catch (IllegalArgumentException e) {
                log.warn("api={} service discovery query_endpoint '{}' is not a URL: {}", apiId,
                        config.queryEndpoint(), e.getMessage());
                return;
            }
            http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, failure) -> {
                if (failure != null) {
                    failed("the query failed: " + failure);
                } else if (response.statusCode() != 200) {
                    failed("the endpoint answered " + response.statusCode());
                } else {
                    received(response.body());
                }
                if (!stopped) {
                    loop.execute(() -> nextPoll = loop.schedule(this::poll, intervalNanos, TimeUnit.NANOSECONDS));
                }
            });
        }

        private void received(String body) {
            List<Target> targets;
            try {
                targets = DiscoveredHosts.parse(body, config).stream().map(this::target).toList();
            } catch (IllegalArgumentException e) {
                failed(e.getMessage());
                return;
            }
            if (stopped || targets.equals(lastGood)) {
                return;
            }
            lastGood = targets;
            group.replaceTargets(targets);
            log.info("api={} service discovery: targets now {}", apiId, targets);
        }

        private Target target(String host) {
            int scheme = host.indexOf("://");
            Target target = Target.parse(scheme >= 0 ? host : defaultScheme + "://" + host);
            if (!SCHEMES.contains(target.scheme())) {
                throw new IllegalArgumentException("'" + host + "' has an unsupported scheme");
            }
            return target;
        }

        private void failed(String reason) {
            if (!stopped) {
                log.warn("api={} service discovery from {} failed, keeping {}: {}", apiId, config.queryEndpoint(),
                        lastGood == null ? "the configured targets" : "the last good list " + lastGood, reason);
            }
        }
    }
}
