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
 * @param allowedIps Tyk's {@code allowed_ips} (also spelled {@code ip_whitelist}): addresses and CIDR ranges
 * @param blacklistedIps Tyk's {@code blacklisted_ips} (also spelled {@code ip_blacklist})
 * @param ipAccessControlDisabled Tyk's switch that turns off a list whose {@code enable_ip_*} switch is off too
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
        BasicAuth basicAuth,
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
        boolean allowTrace,
        boolean enableIpWhitelisting,
        @JsonAlias("ip_whitelist") List<String> allowedIps,
        boolean enableIpBlacklisting,
        @JsonAlias("ip_blacklist") List<String> blacklistedIps,
        boolean ipAccessControlDisabled) {

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
        basicAuth = basicAuth == null ? new BasicAuth(false, null, false, null, null) : basicAuth;
        clientCertificates = clientCertificates == null ? List.of() : List.copyOf(clientCertificates);
        upstreamCertificates = upstreamCertificates == null ? Map.of() : Map.copyOf(upstreamCertificates);
        pinnedPublicKeys = pinnedPublicKeys == null ? Map.of() : Map.copyOf(pinnedPublicKeys);
        uptimeTests = uptimeTests == null ? new UptimeTests(null, null) : uptimeTests;
        authConfigs = authConfigs == null ? Map.of() : Map.copyOf(authConfigs);
        versionData = versionData == null ? new VersionData(true, null, null) : versionData;
        allowedIps = allowedIps == null ? List.of() : List.copyOf(allowedIps);
        blacklistedIps = blacklistedIps == null ? List.of() : List.copyOf(blacklistedIps);
    }

    /**
     * The allow list in force: {@code allowed_ips} when it is not empty and not switched off. As Tyk since 5.8, a
     * list is enforced even without {@code enable_ip_whitelisting}, unless {@code ip_access_control_disabled} says
     * otherwise; a list that was written is meant, and failing open would let everyone in.
     */
    public List<String> ipAllowList() {
        return (enableIpWhitelisting || !ipAccessControlDisabled) ? allowedIps : List.of();
    }

    /** The block list in force, by the same rule as {@link #ipAllowList()}. */
    public List<String> ipBlockList() {
        return (enableIpBlacklisting || !ipAccessControlDisabled) ? blacklistedIps : List.of();
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

    /**
     * One entry of {@code auth_configs}, or the legacy {@code auth} object.
     *
     * @param disableHeader the key is not read from the header, only from the parameter or the cookie
     */
    public record AuthConfig(String authHeaderName, boolean useParam, String paramName, boolean useCookie,
            String cookieName, boolean useCertificate, boolean validateSignature, boolean disableHeader) {
    }

    /**
     * {@code basic_auth}: how verified basic-auth credentials are cached, and whether they may come from the body.
     *
     * @param cacheTtl seconds a verified password is remembered; Tyk's 60 when absent or 0
     */
    public record BasicAuth(boolean disableCaching, Integer cacheTtl, boolean extractFromBody, String bodyUserRegexp,
            String bodyPasswordRegexp) {
        public static final int DEFAULT_CACHE_TTL_SECONDS = 60;

        public BasicAuth {
            cacheTtl = cacheTtl == null || cacheTtl <= 0 ? DEFAULT_CACHE_TTL_SECONDS : cacheTtl;
            bodyUserRegexp = bodyUserRegexp == null ? "" : bodyUserRegexp;
            bodyPasswordRegexp = bodyPasswordRegexp == null ? "" : bodyPasswordRegexp;
        }
    }

    /** The basic-auth source settings: {@code auth_configs.basic} (no legacy fallback, as in Tyk), else defaults. */
    public AuthConfig basicAuthSource() {
        AuthConfig config = authConfigs.get("basic");
        return config != null ? config : new AuthConfig(null, false, null, false, null, false, false, false);
    }

    /** The token settings: {@code auth_configs.authToken}, else the legacy {@code auth}, else Tyk's defaults. */
    public AuthConfig tokenAuth() {
        AuthConfig config = authConfigs.get("authToken");
        if (config == null) {
            config = auth;
        }
        return config != null ? config : new AuthConfig(null, false, null, false, null, false, false, false);
    }

    /** {@code version_data}: the API's versions, in the order the file writes them. */
    public record VersionData(Boolean notVersioned, String defaultVersion, Map<String, ApiVersion> versions) {
        public VersionData {
            notVersioned = notVersioned == null || notVersioned;
            defaultVersion = defaultVersion == null ? "" : defaultVersion.trim();
            versions = ApiVersion.ordered(versions);
        }

        /**
         * The version whose plugins serve every request: {@code default_version} when it names one, else the one
         * called {@code Default}, else the first. Requests are not told apart by version (Tyk's versioning by
         * header, query or path is not implemented); {@link EndpointChecks} warns when that matters.
         *
         * @return the version, or {@code null} when there is none
         */
        public ApiVersion effective() {
            if (!defaultVersion.isEmpty() && versions.containsKey(defaultVersion)) {
                return versions.get(defaultVersion);
            }
            if (versions.containsKey("Default")) {
                return versions.get("Default");
            }
            return versions.isEmpty() ? null : versions.values().iterator().next();
        }

        /** The key under {@code versions} of {@link #effective()}; empty when there is none. */
        public String effectiveName() {
            ApiVersion chosen = effective();
            for (Map.Entry<String, ApiVersion> entry : versions.entrySet()) {
                if (entry.getValue() == chosen) {
                    return entry.getKey();
                }
            }
            return "";
        }
    }

    /** {@code global_rate_limit}: {@code rate} requests per {@code per} seconds. */
    public record RateLimit(double rate, double per, boolean disabled) {
    }
}
