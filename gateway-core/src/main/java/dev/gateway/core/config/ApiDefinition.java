package dev.gateway.core.config;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * One classic Tyk API definition. Fields that later features use are parsed now, so that nothing a user
 * wrote is dropped; {@link UnimplementedFields} warns about the ones that have no effect yet.
 *
 * @param active absent means active; {@code false} skips the API at load
 * @param listenPort 0 means the gateway's own port
 * @param protocol {@code http} (or empty), {@code https}, {@code h2c}, {@code tcp} or {@code tls}
 * @param domain host the API answers for (HTTP) or SNI name (TLS); empty matches any
 * @param certificates PEM paths for TLS termination; Tyk's docs spell it {@code certificate}
 * @param allowTrace not a Tyk field: {@code TRACE} requests are proxied, where by default they get 405
 */
public record ApiDefinition(
        String apiId,
        String name,
        String orgId,
        Boolean active,
        Integer listenPort,
        String protocol,
        String domain,
        @JsonAlias("certificate") List<String> certificates,
        Proxy proxy,
        boolean useKeyless,
        boolean useStandardAuth,
        boolean useBasicAuth,
        boolean useMutualTlsAuth,
        List<String> clientCertificates,
        Map<String, String> upstreamCertificates,
        Map<String, String> pinnedPublicKeys,
        boolean enableProxyProtocol,
        UptimeTests uptimeTests,
        Map<String, AuthConfig> authConfigs,
        AuthConfig auth,
        VersionData versionData,
        RateLimit globalRateLimit,
        boolean disableRateLimit,
        boolean disableQuota,
        boolean stripAuthData,
        boolean allowTrace) {

    public ApiDefinition {
        apiId = apiId == null ? "" : apiId;
        name = name == null ? "" : name;
        orgId = orgId == null ? "" : orgId;
        active = active == null || active;
        listenPort = listenPort == null ? 0 : listenPort;
        protocol = protocol == null ? "" : protocol.trim().toLowerCase(java.util.Locale.ROOT);
        domain = domain == null ? "" : domain.trim().toLowerCase(java.util.Locale.ROOT);
        certificates = certificates == null ? List.of() : List.copyOf(certificates);
        proxy = proxy == null ? new Proxy(null, null, false, false, false, false, null, false, null, null, null)
                : proxy;
        clientCertificates = clientCertificates == null ? List.of() : List.copyOf(clientCertificates);
        upstreamCertificates = upstreamCertificates == null ? Map.of() : Map.copyOf(upstreamCertificates);
        pinnedPublicKeys = pinnedPublicKeys == null ? Map.of() : Map.copyOf(pinnedPublicKeys);
        uptimeTests = uptimeTests == null ? new UptimeTests(null, null) : uptimeTests;
        authConfigs = authConfigs == null ? Map.of() : Map.copyOf(authConfigs);
        versionData = versionData == null ? new VersionData(true, null, null) : versionData;
    }

    /** A short name for logs: the id, and the name when there is one. */
    public String label() {
        return name.isEmpty() || name.equals(apiId) ? apiId : apiId + " (" + name + ")";
    }

    /**
     * {@code proxy}: where and how requests go upstream.
     *
     * @param listenPath path prefix the API owns on its port
     * @param targetUrl the upstream when load balancing is off
     * @param stripListenPath remove the listen path before proxying
     * @param disableStripSlash keep a trailing slash that joining the target path with the request path would
     *     otherwise fold away
     * @param preserveHostHeader send the client's {@code Host} upstream instead of the target's
     * @param targetList the upstreams when {@code enable_load_balancing} is set
     */
    public record Proxy(
            String listenPath,
            String targetUrl,
            boolean stripListenPath,
            boolean disableStripSlash,
            boolean preserveHostHeader,
            boolean enableLoadBalancing,
            List<String> targetList,
            boolean checkHostAgainstUptimeTests,
            Transport transport,
            ServiceDiscovery serviceDiscovery,
            String sendProxyProtocol) {
        public Proxy {
            listenPath = listenPath == null ? "" : listenPath.trim();
            targetUrl = targetUrl == null ? "" : targetUrl.trim();
            targetList = targetList == null ? List.of() : List.copyOf(targetList);
            transport = transport == null ? new Transport(false, null, null, null, null) : transport;
            sendProxyProtocol = sendProxyProtocol == null ? "" : sendProxyProtocol;
        }
    }

    /** {@code proxy.transport}: upstream TLS settings. */
    public record Transport(boolean sslInsecureSkipVerify, List<String> sslCiphers, Integer sslMinVersion,
            Integer sslMaxVersion, String proxyUrl) {
    }

    /** {@code proxy.service_discovery}; given effect by the health-check issue. */
    public record ServiceDiscovery(boolean useDiscoveryService, String queryEndpoint, boolean useNestedQuery,
            String parentDataPath, String dataPath, String portDataPath, boolean useTargetList,
            boolean endpointReturnsList, Integer cacheTimeout, String targetPath) {
    }

    /** {@code uptime_tests}: active health checks for the API's hosts. */
    public record UptimeTests(List<UptimeCheck> checkList, UptimeTestsConfig config) {
        public UptimeTests {
            checkList = checkList == null ? List.of() : List.copyOf(checkList);
        }
    }

    /**
     * One health check. {@code timeout} stays raw here: Tyk's docs call it milliseconds while its code reads a
     * duration, so the health-check module decides how to read a number or a string.
     */
    public record UptimeCheck(String url, String method, Map<String, String> headers, String body, JsonNode timeout,
            String protocol, List<CheckCommand> commands, boolean enableProxyProtocol) {
        public UptimeCheck {
            headers = headers == null ? Map.of() : Map.copyOf(headers);
            commands = commands == null ? List.of() : List.copyOf(commands);
        }
    }

    /** A TCP check step: {@code send} writes {@code message}, {@code expect} waits for it. */
    public record CheckCommand(String name, String message) {
    }

    /** {@code uptime_tests.config}. */
    public record UptimeTestsConfig(Integer expireUtimeAfter, Integer recheckWait, ServiceDiscovery serviceDiscovery) {
    }

    /** One entry of {@code auth_configs}, or the legacy {@code auth} object. */
    public record AuthConfig(String authHeaderName, boolean useParam, String paramName, boolean useCookie,
            String cookieName, boolean useCertificate, boolean validateSignature) {
    }

    /** {@code version_data}; versions stay raw JSON until a feature reads them. */
    public record VersionData(Boolean notVersioned, String defaultVersion, Map<String, JsonNode> versions) {
        public VersionData {
            notVersioned = notVersioned == null || notVersioned;
            versions = versions == null ? Map.of() : Map.copyOf(versions);
        }
    }

    /** {@code global_rate_limit}: {@code rate} requests per {@code per} seconds. */
    public record RateLimit(double rate, double per) {
    }
}
