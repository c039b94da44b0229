package dev.gateway.core.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;
import java.util.Map;

/**
 * {@code tyk.conf}: the gateway-wide settings, with Tyk's field names and units.
 *
 * @param listenAddress address of the gateway's own port; empty means every interface
 * @param listenPort the gateway's own port; {@value #DEFAULT_LISTEN_PORT} when absent
 * @param secret the control API secret ({@code X-Tyk-Authorization})
 * @param appPath folder of API definition files, resolved against the folder of the conf file
 * @param proxyDefaultTimeout seconds to wait for an upstream's response headers; 0 means
 *     {@value #DEFAULT_PROXY_TIMEOUT_SECONDS}
 * @param maxIdleConnectionsPerHost idle upstream connections kept per event loop per target; 0 means
 *     {@value #DEFAULT_MAX_IDLE_CONNECTIONS_PER_HOST}
 * @param closeConnections no keep-alive with upstreams or clients: every exchange closes both connections
 * @param portsWhitelist ports that APIs may open, keyed by protocol ({@code http}, {@code https}, {@code tcp},
 *     {@code tls}, {@code h2c})
 * @param healthCheckEndpointName path of the liveness endpoint on the gateway port, without the slash
 * @param tcpIdleTimeout seconds a TCP relay may carry no byte either way before it is closed (not a Tyk field;
 *     Tyk has no such limit); 0 means {@value #DEFAULT_TCP_IDLE_TIMEOUT_SECONDS}
 * @param ioThreads event-loop threads that serve every connection (not a Tyk field); 0 means one per processor
 *     the JVM sees, like Envoy's {@code --concurrency} and HAProxy's {@code nbthread} defaults
 * @param transport the socket transport (not a Tyk field): {@value #TRANSPORT_AUTO} (the default: io_uring where
 *     the kernel allows it, then native epoll, then NIO), or one of them by name, {@code io_uring}, {@code epoll},
 *     {@code nio}
 * @param maxConnections client connections the gateway holds open at once, every listener together (not a Tyk
 *     field); 0 or absent means as many as the open-files limit leaves room for (see
 *     {@code dev.gateway.core.net.ConnectionLimits})
 * @param maxConnectionsPerListener client connections one listening port holds open at once (not a Tyk field);
 *     0 or absent means no cap but the global one
 * @param ignoreEndpointCase endpoint plugin paths of every API match whatever the case of the request's path
 * @param watchConfigFolders not a Tyk field: reload when files change in {@code app_path} or {@code policy_path}
 * @param statusPage not a Tyk field: {@code GET /status} on the control listener, without the secret
 * @param metrics not a Tyk field: Prometheus's {@code /metrics}, on by default
 * @param auth keys, policies, limits and the control API: flat fields of the same document, read by
 *     {@link ConfigLoader} into their own record
 */
public record GatewayConfig(
        String listenAddress,
        Integer listenPort,
        String secret,
        String appPath,
        HttpServerOptions httpServerOptions,
        Integer proxyDefaultTimeout,
        boolean proxySslInsecureSkipVerify,
        boolean proxyEnableHttp2,
        Integer maxIdleConnectionsPerHost,
        boolean closeConnections,
        Map<String, PortWhitelist> portsWhitelist,
        boolean disablePortsWhitelist,
        String healthCheckEndpointName,
        UptimeTestsGlobal uptimeTests,
        AccessLogs accessLogs,
        Integer tcpIdleTimeout,
        Integer ioThreads,
        String transport,
        Integer maxConnections,
        Integer maxConnectionsPerListener,
        boolean ignoreEndpointCase,
        WatchConfigFolders watchConfigFolders,
        StatusPage statusPage,
        Metrics metrics,
        @JsonIgnore AuthSettings auth) {

    public static final int DEFAULT_LISTEN_PORT = 8080;
    public static final String DEFAULT_APP_PATH = "apps/";
    public static final int DEFAULT_PROXY_TIMEOUT_SECONDS = 30;
    public static final int DEFAULT_MAX_IDLE_CONNECTIONS_PER_HOST = 100;
    public static final String DEFAULT_HEALTH_CHECK_ENDPOINT_NAME = "hello";
    /** An hour, as Envoy's TCP proxy: long enough for pooled database and cache connections. */
    public static final int DEFAULT_TCP_IDLE_TIMEOUT_SECONDS = 3600;
    public static final String TRANSPORT_AUTO = "auto";
    /** The values {@code transport} may take. */
    public static final List<String> TRANSPORTS = List.of(TRANSPORT_AUTO, "io_uring", "epoll", "nio");

    public GatewayConfig {
        listenAddress = listenAddress == null ? "" : listenAddress;
        listenPort = listenPort == null || listenPort == 0 ? DEFAULT_LISTEN_PORT : listenPort;
        secret = secret == null ? "" : secret;
        appPath = appPath == null || appPath.isEmpty() ? DEFAULT_APP_PATH : appPath;
        httpServerOptions = httpServerOptions == null ? HttpServerOptions.DEFAULTS : httpServerOptions;
        proxyDefaultTimeout = proxyDefaultTimeout == null || proxyDefaultTimeout <= 0
                ? DEFAULT_PROXY_TIMEOUT_SECONDS : proxyDefaultTimeout;
        maxIdleConnectionsPerHost = maxIdleConnectionsPerHost == null || maxIdleConnectionsPerHost <= 0
                ? DEFAULT_MAX_IDLE_CONNECTIONS_PER_HOST : maxIdleConnectionsPerHost;
        portsWhitelist = portsWhitelist == null ? Map.of() : Map.copyOf(portsWhitelist);
        healthCheckEndpointName = healthCheckEndpointName == null || healthCheckEndpointName.isEmpty()
                ? DEFAULT_HEALTH_CHECK_ENDPOINT_NAME : healthCheckEndpointName;
        uptimeTests = uptimeTests == null ? new UptimeTestsGlobal(false, null) : uptimeTests;
        accessLogs = accessLogs == null ? new AccessLogs(false, null, null) : accessLogs;
        tcpIdleTimeout = tcpIdleTimeout == null || tcpIdleTimeout <= 0 ? DEFAULT_TCP_IDLE_TIMEOUT_SECONDS
                : tcpIdleTimeout;
        ioThreads = ioThreads == null ? 0 : ioThreads;
        transport = transport == null || transport.isEmpty() ? TRANSPORT_AUTO : transport;
        maxConnections = maxConnections == null || maxConnections < 0 ? 0 : maxConnections;
        maxConnectionsPerListener = maxConnectionsPerListener == null || maxConnectionsPerListener < 0 ? 0
                : maxConnectionsPerListener;
        watchConfigFolders = watchConfigFolders == null ? new WatchConfigFolders(false, null) : watchConfigFolders;
        statusPage = statusPage == null ? new StatusPage(false) : statusPage;
        metrics = metrics == null ? new Metrics(null) : metrics;
        auth = auth == null ? AuthSettings.defaults() : auth;
    }

    /** This configuration with {@code auth} in place of its own. */
    public GatewayConfig withAuth(AuthSettings auth) {
        return new GatewayConfig(listenAddress, listenPort, secret, appPath, httpServerOptions, proxyDefaultTimeout,
                proxySslInsecureSkipVerify, proxyEnableHttp2, maxIdleConnectionsPerHost, closeConnections,
                portsWhitelist, disablePortsWhitelist, healthCheckEndpointName, uptimeTests, accessLogs,
                tcpIdleTimeout, ioThreads, transport, maxConnections, maxConnectionsPerListener, ignoreEndpointCase,
                watchConfigFolders, statusPage, metrics, auth);
    }

    /** The number of event-loop threads to run: {@code io_threads}, or one per available processor. */
    public int effectiveIoThreads() {
        return ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
    }

    /** A configuration with every default, as an empty {@code tyk.conf} gives. */
    public static GatewayConfig defaults() {
        return new GatewayConfig(null, null, null, null, null, null, false, false, null, false, null, false, null,
                null, null, null, null, null, null, null, false, null, null, null, null);
    }

    /** Ports an API of one protocol may open: inclusive ranges and single ports. */
    public record PortWhitelist(List<PortRange> ranges, List<Integer> ports) {
        public PortWhitelist {
            ranges = ranges == null ? List.of() : List.copyOf(ranges);
            ports = ports == null ? List.of() : List.copyOf(ports);
        }

        public boolean allows(int port) {
            return ports.contains(port) || ranges.stream().anyMatch(r -> r.from() <= port && port <= r.to());
        }
    }

    /** An inclusive port range. */
    public record PortRange(int from, int to) {
    }

    /** {@code uptime_tests} in {@code tyk.conf}; given effect by the health-check issue. */
    public record UptimeTestsGlobal(boolean disable, UptimeTestsGlobalConfig config) {
        public UptimeTestsGlobal {
            config = config == null ? new UptimeTestsGlobalConfig(null, null, null, false) : config;
        }
    }

    /**
     * @param failureTriggerSampleSize consecutive failures that mark a host down
     * @param timeWait seconds between two checks of one host
     * @param checkerPoolSize Tyk's worker count; checks here run on the event loops
     */
    public record UptimeTestsGlobalConfig(Integer failureTriggerSampleSize, Integer timeWait, Integer checkerPoolSize,
            boolean enableUptimeAnalytics) {
        public static final int DEFAULT_FAILURE_TRIGGER_SAMPLE_SIZE = 3;
        public static final int DEFAULT_TIME_WAIT_SECONDS = 10;

        public UptimeTestsGlobalConfig {
            failureTriggerSampleSize = failureTriggerSampleSize == null || failureTriggerSampleSize <= 0
                    ? DEFAULT_FAILURE_TRIGGER_SAMPLE_SIZE : failureTriggerSampleSize;
            timeWait = timeWait == null || timeWait <= 0 ? DEFAULT_TIME_WAIT_SECONDS : timeWait;
            checkerPoolSize = checkerPoolSize == null ? 0 : checkerPoolSize;
        }
    }

    /** {@code access_logs}: one line per proxied exchange on the {@code gateway.access} logger. */
    /**
     * {@code access_logs}.
     *
     * @param template Tyk's: the fields the JSON line carries; empty for all
     * @param format not a Tyk field: {@code text} (the default, one {@code key=value} line) or {@code json}
     */
    public record AccessLogs(boolean enabled, List<String> template, String format) {
        public static final String JSON = "json";

        public AccessLogs {
            template = template == null ? List.of() : List.copyOf(template);
            format = format == null || format.isEmpty() ? "text" : format;
        }
    }

    /**
     * {@code watch_config_folders} (not a Tyk field): reload when files change in {@code app_path} or
     * {@code policy_path}, once they have settled for {@code settleMs}.
     */
    public record WatchConfigFolders(boolean enabled, Integer settleMs) {
        public static final int DEFAULT_SETTLE_MS = 1000;

        public WatchConfigFolders {
            settleMs = settleMs == null || settleMs <= 0 ? DEFAULT_SETTLE_MS : settleMs;
        }
    }

    /** {@code status_page} (not a Tyk field): the HTML status page at {@code /status} on the control listener. */
    public record StatusPage(boolean enabled) {
    }

    /** {@code metrics} (not a Tyk field): {@code enabled} counts every exchange for {@code /metrics}; on by default. */
    public record Metrics(Boolean enabled) {
        public Metrics {
            enabled = enabled == null || enabled;
        }
    }
}
