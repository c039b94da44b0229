package dev.gateway.redis;

import dev.gateway.core.config.AuthSettings;
import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.LimitStore;
import dev.gateway.redis.internal.RedisConnection;
import dev.gateway.redis.internal.RedisKeyStore;
import dev.gateway.redis.internal.RedisLimitStore;
import java.io.IOException;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis that {@code tyk.conf}'s {@code storage} names (standalone, Sentinel or Cluster, with TLS and ACL
 * credentials as configured), and the stores that keep keys, rate limits and quotas in it under Tyk's key names.
 *
 * <p>One connection serves every store and every event loop: Lettuce multiplexes commands on it. Each store call
 * returns at once and completes on Lettuce's I/O threads, never blocking the caller. While Redis is unreachable each
 * call fails at once (or after {@code storage.timeout} seconds when Redis stops answering), so requests fail closed;
 * the connection comes back by itself within about a second of Redis, and the same stores serve again.
 *
 * <pre>{@code
 * RedisStorage redis = RedisStorage.connect(auth.storage());
 * KeyStore keys = new CachingKeyStore(redis.keyStore());
 * LimitStore limits = redis.limitStore(auth.redisSlidingLog());
 * ...
 * redis.close();
 * }</pre>
 */
public final class RedisStorage implements AutoCloseable {

    static {
        // Lettuce 7.1 picks io_uring channel classes but an epoll event loop when both native transports are on the
        // class path (gateway-core puts both there), and then cannot connect at all: keep it on epoll unless the
        // operator chose otherwise. Read when Lettuce first loads its transports, which connect() triggers.
        if (System.getProperty("io.lettuce.core.iouring") == null) {
            System.setProperty("io.lettuce.core.iouring", "false");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(RedisStorage.class);

    private final RedisConnection connection;
    private final KeyStore keyStore;
    private final LimitStore slidingLog;
    private final LimitStore fixedWindow;

    private RedisStorage(RedisConnection connection) {
        this.connection = connection;
        this.keyStore = new RedisKeyStore(connection.commands());
        this.slidingLog = new RedisLimitStore(connection.commands(), true);
        this.fixedWindow = new RedisLimitStore(connection.commands(), false);
    }

    /**
     * Connects, waiting up to {@code storage.timeout} seconds for Redis to answer; call it at start-up or from a
     * thread that may wait, never an event loop.
     *
     * @throws IOException when Redis cannot be reached, refuses the credentials, or a TLS file cannot be read
     */
    public static RedisStorage connect(AuthSettings.Storage storage) throws IOException {
        RedisConnection connection = RedisConnection.open(storage);
        LOG.info("keys, rate limits and quotas are in Redis: {}, command timeout {} s", connection.description(),
                storage.timeout());
        return new RedisStorage(connection);
    }

    /** Sessions under Tyk's {@code apikey-...} names. Wrap it in a {@code CachingKeyStore} for the request path. */
    public KeyStore keyStore() {
        return keyStore;
    }

    /**
     * Rate limits and quotas under Tyk's {@code rate-limit-...} and {@code quota-...} names.
     *
     * @param slidingLog Tyk's sliding log ({@code enable_redis_rolling_limiter}): exact in any {@code per} seconds,
     *     one script per request; otherwise Tyk's fixed window ({@code enable_fixed_window_rate_limiter}), counted
     *     in leases of 1% of the rate (exact in each window for rates under 200)
     */
    public LimitStore limitStore(boolean slidingLog) {
        return slidingLog ? this.slidingLog : fixedWindow;
    }

    /**
     * Hears Tyk's cluster notifications and publishes this gateway's; call it from a thread that may wait (it
     * subscribes before it returns).
     *
     * @param nodeSecret {@code node_secret}, which signs and checks every message
     * @param allowInsecure {@code allow_insecure_configs}: unsigned messages are obeyed too
     * @param handler told of each notification heard, on one of Lettuce's threads
     */
    public ClusterNotifications notifications(String nodeSecret, boolean allowInsecure,
            Consumer<ClusterNotifications.Notification> handler) {
        return new ClusterNotifications(connection, nodeSecret, allowInsecure, handler);
    }

    /** Completes when Redis answers a {@code PING}; fails fast while it is unreachable. For health checks. */
    public CompletionStage<Void> ping() {
        return connection.commands().ping().thenApply(pong -> null);
    }

    /** The topology and addresses, for logs and the health endpoint. */
    public String description() {
        return connection.description();
    }

    /** Closes the connection and shuts Lettuce's threads down; calls still pending fail. */
    @Override
    public void close() {
        connection.close();
    }
}
