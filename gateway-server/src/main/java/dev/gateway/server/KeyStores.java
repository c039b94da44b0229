package dev.gateway.server;

import dev.gateway.core.config.AuthSettings;
import dev.gateway.core.config.ConfigException;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.keys.CachingKeyStore;
import dev.gateway.core.keys.KeyHashing;
import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.LimitStore;
import dev.gateway.core.keys.MemoryKeyStore;
import dev.gateway.core.keys.MemoryLimitStore;
import dev.gateway.redis.RedisStorage;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the gateway keeps keys and counts their limits, as {@code tyk.conf}'s {@code storage} says: in this process
 * (the default, for one gateway), or in Redis ({@code "type": "redis"}), shared with every gateway on it, Tyk's
 * among them. Sessions read from Redis are kept a few seconds ({@link CachingKeyStore}), so Redis is not asked on
 * every request.
 */
final class KeyStores implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KeyStores.class);

    private final RedisStorage redis;
    /** The session cache in front of Redis; {@code null} with the memory store. */
    private final CachingKeyStore cache;
    private final KeyStore sessions;
    private final LimitStore limits;

    private KeyStores(RedisStorage redis, CachingKeyStore cache, KeyStore sessions, LimitStore limits) {
        this.redis = redis;
        this.cache = cache;
        this.sessions = sessions;
        this.limits = limits;
    }

    /**
     * The stores {@code settings} ask for; Redis is connected before this returns.
     *
     * @throws ConfigException when Redis is configured and cannot be reached at start
     */
    static KeyStores open(AuthSettings settings) throws ConfigException {
        if (!settings.storage().isRedis()) {
            return new KeyStores(null, null, new MemoryKeyStore(), new MemoryLimitStore());
        }
        RedisStorage redis;
        try {
            redis = RedisStorage.connect(settings.storage());
        } catch (IOException e) {
            throw new ConfigException(LoadProblem.error("tyk.conf", "/storage", "", e.getMessage()));
        }
        log.info("keys and limits in {}; {} rate limiter", redis.description(),
                settings.redisSlidingLog() ? "sliding-log" : "fixed-window (leased)");
        CachingKeyStore cache = new CachingKeyStore(redis.keyStore());
        return new KeyStores(redis, cache, cache, redis.limitStore(settings.redisSlidingLog()));
    }

    KeyStore sessions() {
        return sessions;
    }

    LimitStore limits() {
        return limits;
    }

    /** Redis, when the keys are there. */
    Optional<RedisStorage> redis() {
        return Optional.ofNullable(redis);
    }

    /** Forgets what the session cache holds for a key, by its storage name (without {@code apikey-}). */
    void forget(String storageName) {
        if (cache != null) {
            cache.evict(KeyHashing.REDIS_PREFIX + storageName);
        }
    }

    @Override
    public void close() {
        if (redis != null) {
            redis.close();
        }
    }
}
