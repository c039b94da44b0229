package dev.gateway.redis.internal;

import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.Session;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.async.RedisKeyAsyncCommands;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode.NodeFlag;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions in Redis, where Tyk keeps them: the session JSON as a plain string under {@code apikey-<key or hash>}, so
 * a Tyk gateway sharing the Redis reads what this one writes and the other way round.
 *
 * <p><b>Lifetime.</b> Tyk gives a session key a TTL only when a session lifetime applies ({@code session_lifetime}
 * on the key or the API, or {@code global_session_lifetime} when forced); by default there is none, and a key lives
 * until deleted or its {@code expires} passes (which the auth check reads from the JSON). This store sets no TTL of
 * its own, and writes with {@code KEEPTTL} (Redis 6.0 and later): a TTL that Tyk set survives this gateway writing
 * the session back.
 *
 * <p><b>Bad values.</b> A value larger than {@link Session#MAX_JSON_BYTES}, or one that is not a session's JSON, is
 * read as <em>no session</em> (the key is unknown: 401/403), not as a store failure (503): Redis answered, and what
 * it holds is unusable for this key only. The first such value is logged at WARN with the key's last four
 * characters, later ones at DEBUG, so a planted value cannot flood the log.
 *
 * <p>{@link #list()} walks {@code SCAN MATCH apikey-*}, never {@code KEYS}, so Redis is not blocked on a large key
 * space; on a cluster it walks every master that serves slots, in turn.
 */
public final class RedisKeyStore implements KeyStore {

    /** Tyk's prefix of session keys. */
    public static final String SESSION_PREFIX = "apikey-";

    /** Keys asked of Redis per SCAN step: large enough for few round trips, small enough to keep each one short. */
    static final int SCAN_COUNT = 1_000;

    private static final Logger LOG = LoggerFactory.getLogger(RedisKeyStore.class);
    private static final ScanArgs SCAN = ScanArgs.Builder.matches(SESSION_PREFIX + "*").limit(SCAN_COUNT);
    private static final SetArgs KEEP_TTL = SetArgs.Builder.keepttl();

    private final RedisClusterAsyncCommands<String, byte[]> redis;
    private final AtomicBoolean warned = new AtomicBoolean();

    public RedisKeyStore(RedisClusterAsyncCommands<String, byte[]> redis) {
        this.redis = redis;
    }

    @Override
    public CompletionStage<Session> get(String storageKey) {
        return redis.get(storageKey).thenApply(json -> json == null ? null : session(storageKey, json));
    }

    @Override
    public CompletionStage<Void> put(String storageKey, Session session) {
        return redis.set(storageKey, session.toJson(), KEEP_TTL).thenApply(ok -> null);
    }

    @Override
    public CompletionStage<Boolean> delete(String storageKey) {
        return redis.del(storageKey).thenApply(removed -> removed != null && removed > 0);
    }

    @Override
    public CompletionStage<List<String>> list() {
        if (redis instanceof RedisAdvancedClusterAsyncCommands<String, byte[]> cluster) {
            return scanMasters(cluster.getStatefulConnection()).thenApply(List::copyOf);
        }
        return scan(redis, redis.scan(SCAN), new LinkedHashSet<>()).thenApply(List::copyOf);
    }

    /**
     * Walks each master that serves slots. Lettuce's own cluster SCAN walks every node flagged master, and a master
     * that died stays so flagged (with {@code fail} and no slots) after its replica took over, until every node is
     * told to forget it: the listing would fail on it for good. A master that is down and still serves slots fails
     * the listing, as it must.
     */
    private static CompletionStage<Set<String>> scanMasters(StatefulRedisClusterConnection<String, byte[]> cluster) {
        CompletionStage<Set<String>> keys = CompletableFuture.completedFuture(new LinkedHashSet<>());
        for (RedisClusterNode node : cluster.getPartitions()) {
            if (node.is(NodeFlag.UPSTREAM) && !node.hasNoSlots()) {
                keys = keys.thenCompose(found -> cluster.getConnectionAsync(node.getNodeId())
                        .thenCompose(master -> scan(master.async(), master.async().scan(SCAN), found)));
            }
        }
        return keys;
    }

    /** Collects one SCAN step and asks for the next until the cursor is finished; SCAN may repeat a key. */
    private static CompletionStage<Set<String>> scan(RedisKeyAsyncCommands<String, byte[]> node,
            CompletionStage<KeyScanCursor<String>> step, Set<String> keys) {
        return step.thenCompose(cursor -> {
            keys.addAll(cursor.getKeys());
            if (cursor.isFinished()) {
                return CompletableFuture.completedFuture(keys);
            }
            return scan(node, node.scan(cursor, SCAN), keys);
        });
    }

    private Session session(String storageKey, byte[] json) {
        try {
            return Session.parse(json);
        } catch (IllegalArgumentException e) {
            if (warned.compareAndSet(false, true)) {
                LOG.warn("the session under {} is unusable and is read as unknown: {} (further ones at DEBUG)",
                        obfuscated(storageKey), e.getMessage());
            } else {
                LOG.debug("the session under {} is unusable: {}", obfuscated(storageKey), e.getMessage());
            }
            return null;
        }
    }

    /** Tyk's {@code obfuscateKey}: a key name may be the key itself when {@code hash_keys} is off. */
    static String obfuscated(String storageKey) {
        return storageKey.length() > 4 ? "****" + storageKey.substring(storageKey.length() - 4) : "--";
    }
}
