package dev.gateway.core.config;

import java.util.List;

/**
 * The parts of {@code tyk.conf} that keys, policies, limits and the control API read, with Tyk's (flat) field
 * names. Read from the same document as {@link GatewayConfig}, which carries it as {@link GatewayConfig#auth()}.
 *
 * @param controlApiPort the port of the control API ({@code /tyk/...}); 0 serves it on the gateway port, as Tyk
 * @param hashKeys sessions are stored under the key's hash, never the key
 * @param hashKeyFunction the format of generated keys: empty for Tyk's legacy {@code org + id}, else a hash name
 *     ({@code murmur32}, {@code murmur64}, {@code murmur128}, {@code sha256}) written into a base64 JSON token
 * @param minTokenLength keys shorter than this are unknown; Tyk's floor of 3 when absent or lower
 * @param allowMasterKeys keys without access rights may be created (they open every API)
 * @param enableHashedKeysListing {@code GET /tyk/keys} lists hashes when {@code hashKeys} is on
 * @param basicAuthHashKeyFunction how new basic-auth passwords are hashed; bcrypt when empty or unknown
 * @param enableRedisRollingLimiter with Redis: Tyk's sliding log, unless the fixed window is on too
 * @param enableFixedWindowRateLimiter with Redis: a fixed window per {@code per} seconds (the default here with
 *     Redis; see {@link #redisSlidingLog()})
 * @param rateLimitResponseHeaders what {@code X-RateLimit-*} report: {@code quotas} (Tyk's default) or
 *     {@code rate_limits}
 * @param nodeSecret signs cluster notifications
 * @param allowInsecureConfigs unsigned cluster notifications are obeyed
 */
public record AuthSettings(
        Integer controlApiPort,
        boolean hashKeys,
        String hashKeyFunction,
        Integer minTokenLength,
        boolean allowMasterKeys,
        boolean enableHashedKeysListing,
        String basicAuthHashKeyFunction,
        boolean enableRedisRollingLimiter,
        boolean enableFixedWindowRateLimiter,
        String rateLimitResponseHeaders,
        Storage storage,
        Policies policies,
        String nodeSecret,
        boolean allowInsecureConfigs) {

    /** Tyk's {@code defaultMinTokenLength}. */
    public static final int MIN_TOKEN_LENGTH_FLOOR = 3;
    public static final String HEADERS_FROM_QUOTAS = "quotas";
    public static final String HEADERS_FROM_RATE_LIMITS = "rate_limits";

    public AuthSettings {
        controlApiPort = controlApiPort == null ? 0 : controlApiPort;
        hashKeyFunction = hashKeyFunction == null ? "" : hashKeyFunction;
        minTokenLength = minTokenLength == null || minTokenLength < MIN_TOKEN_LENGTH_FLOOR ? MIN_TOKEN_LENGTH_FLOOR
                : minTokenLength;
        basicAuthHashKeyFunction = basicAuthHashKeyFunction == null ? "" : basicAuthHashKeyFunction;
        rateLimitResponseHeaders = rateLimitResponseHeaders == null || rateLimitResponseHeaders.isEmpty()
                ? HEADERS_FROM_QUOTAS : rateLimitResponseHeaders;
        storage = storage == null ? Storage.MEMORY : storage;
        policies = policies == null ? new Policies(null, null, null) : policies;
        nodeSecret = nodeSecret == null ? "" : nodeSecret;
    }

    /**
     * With Redis, limits are counted in Tyk's sliding log: only when {@code enable_redis_rolling_limiter} is on and
     * {@code enable_fixed_window_rate_limiter} is not (Tyk gives the fixed window the precedence too). Otherwise, the
     * fixed window: where Tyk's default is DRL, this gateway's is the fixed window counted in leases.
     */
    public boolean redisSlidingLog() {
        return enableRedisRollingLimiter && !enableFixedWindowRateLimiter;
    }

    /** Every default, as a {@code tyk.conf} without these fields gives. */
    public static AuthSettings defaults() {
        return new AuthSettings(null, false, null, null, false, false, null, false, false, null, null, null, null,
                false);
    }

    /**
     * {@code storage}: where keys, quotas and shared rate limits live. Tyk always needs Redis; here {@code type}
     * {@code redis} asks for it, and anything else (or no {@code storage}) keeps them in this process.
     *
     * @param addrs {@code host:port} seeds; when set, {@code host} and {@code port} are not used
     * @param masterName a Sentinel master name: {@code addrs} then name the sentinels
     * @param enableCluster {@code addrs} (or host and port) seed a Redis Cluster
     * @param timeout seconds a command may take; 0 means 5
     * @param tlsMinVersion with {@code use_ssl}: the oldest TLS version offered, {@code "1.2"} (the default, as
     *     Tyk's) or {@code "1.3"}; Tyk's {@code "1.0"} and {@code "1.1"} are read as 1.2, which the JDK's floor is
     * @param tlsMaxVersion with {@code use_ssl}: the newest TLS version offered, {@code "1.3"} (the default)
     */
    public record Storage(String type, String host, Integer port, List<String> addrs, String masterName,
            String sentinelPassword, String username, String password, Integer database, boolean enableCluster,
            boolean useSsl, boolean sslInsecureSkipVerify, String caFile, String certFile, String keyFile,
            Integer timeout, String tlsMinVersion, String tlsMaxVersion) {

        public static final String REDIS = "redis";
        static final Storage MEMORY = new Storage(null, null, null, null, null, null, null, null, null, false,
                false, false, null, null, null, null, null, null);

        public Storage {
            type = type == null ? "" : type;
            host = host == null || host.isEmpty() ? "localhost" : host;
            port = port == null || port == 0 ? 6379 : port;
            addrs = addrs == null ? List.of() : List.copyOf(addrs);
            masterName = masterName == null ? "" : masterName;
            sentinelPassword = sentinelPassword == null ? "" : sentinelPassword;
            username = username == null ? "" : username;
            password = password == null ? "" : password;
            database = database == null ? 0 : database;
            caFile = caFile == null ? "" : caFile;
            certFile = certFile == null ? "" : certFile;
            keyFile = keyFile == null ? "" : keyFile;
            timeout = timeout == null || timeout <= 0 ? 5 : timeout;
            tlsMinVersion = tlsMinVersion == null || tlsMinVersion.isEmpty() ? "1.2" : tlsMinVersion;
            tlsMaxVersion = tlsMaxVersion == null || tlsMaxVersion.isEmpty() ? "1.3" : tlsMaxVersion;
        }

        public boolean isRedis() {
            return REDIS.equals(type);
        }
    }

    /**
     * {@code policies}: where policies come from. Only files are read here ({@code policy_source} {@code file} or
     * empty); {@code service} and {@code rpc} need Tyk's dashboard or MDCB.
     *
     * @param policyPath a folder with one policy per {@code *.json} file
     * @param policyRecordName one file mapping policy ids to policies, read when {@code policyPath} is empty
     */
    public record Policies(String policySource, String policyPath, String policyRecordName) {
        public Policies {
            policySource = policySource == null ? "" : policySource;
            policyPath = policyPath == null ? "" : policyPath;
            policyRecordName = policyRecordName == null ? "" : policyRecordName;
        }
    }
}
