package dev.gateway.core.keys;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A {@link KeyStore} in front of another (Redis, usually) that keeps the sessions it read for a few seconds, so a
 * key's requests do not each cost a round trip: Tyk's local session cache.
 *
 * <ul>
 *   <li>A session is kept for {@code ttl} ({@link #DEFAULT_TTL} by default) from the moment it was read, and every
 *       hit returns a copy. A session changed or revoked on another gateway is seen here within that time, until
 *       cluster notifications evict it at once ({@link #evict}).</li>
 *   <li>Only sessions found are kept. An unknown key is asked of the store every time, so a key created on another
 *       gateway works here at once; a failed lookup is never kept.</li>
 *   <li>{@link #put} and {@link #delete} through this store take effect here at once; a lookup that was under way
 *       while a write was cannot put the old session back.</li>
 *   <li>At most {@code maxEntries} sessions are kept ({@link #DEFAULT_MAX_ENTRIES} by default); when full, expired
 *       ones are dropped, then arbitrary ones, down to nine tenths.</li>
 * </ul>
 *
 * <p>Tyk keeps sessions 10 s by default ({@code local_session_cache.cached_session_timeout}); 5 s here halves the
 * time a revoked key may still work on other gateways, while a busy key still costs one lookup per 5 s.
 */
public final class CachingKeyStore implements KeyStore {

    /** How long a session read is kept: see the class comment. */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(5);

    /** Sessions kept at most: a few kilobytes each, so some hundreds of megabytes when full. */
    public static final int DEFAULT_MAX_ENTRIES = 100_000;

    private record Entry(Session session, long expiresAt) {
    }

    private final KeyStore store;
    private final long ttlNanos;
    private final int maxEntries;
    private final LongSupplier nanoTime;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    /**
     * Counts writes and evictions, of any key. A lookup keeps what it read only if no write came in between, so a
     * session read before a write finished is never kept after it. Writes are rare (the keys API, notifications),
     * so the few lookups this turns away cost nothing worth a counter per key.
     */
    private final AtomicLong writes = new AtomicLong();

    public CachingKeyStore(KeyStore store) {
        this(store, DEFAULT_TTL, DEFAULT_MAX_ENTRIES, System::nanoTime);
    }

    /**
     * @param ttl how long a session read is kept; zero keeps none
     * @param nanoTime the clock, {@link System#nanoTime} but in tests
     */
    public CachingKeyStore(KeyStore store, Duration ttl, int maxEntries, LongSupplier nanoTime) {
        if (ttl.isNegative() || maxEntries < 1) {
            throw new IllegalArgumentException("a cache needs a ttl of 0 or more and room for a session");
        }
        this.store = store;
        this.ttlNanos = ttl.toNanos();
        this.maxEntries = maxEntries;
        this.nanoTime = nanoTime;
    }

    @Override
    public CompletionStage<Session> get(String storageKey) {
        Entry entry = cache.get(storageKey);
        if (entry != null) {
            if (nanoTime.getAsLong() - entry.expiresAt() < 0) {
                return CompletableFuture.completedFuture(entry.session().copy());
            }
            cache.remove(storageKey, entry);
        }
        long generation = writes.get();
        return store.get(storageKey).thenApply(session -> {
            if (session != null) {
                remember(storageKey, session.copy(), generation);
            }
            return session;
        });
    }

    @Override
    public CompletionStage<Void> put(String storageKey, Session session) {
        Session written = session.copy();
        long generation = invalidate(storageKey);
        return store.put(storageKey, session).whenComplete((done, failure) -> {
            // Lookups begun while the write was under way may hold the old session: turn them away, then keep
            // the new one unless another write came in meanwhile.
            if (failure == null && writes.compareAndSet(generation, generation + 1)) {
                remember(storageKey, written, generation + 1);
            } else {
                invalidate(storageKey);
            }
        });
    }

    @Override
    public CompletionStage<Boolean> delete(String storageKey) {
        invalidate(storageKey);
        return store.delete(storageKey).whenComplete((done, failure) -> invalidate(storageKey));
    }

    @Override
    public CompletionStage<List<String>> list() {
        return store.list();
    }

    /** Forgets the session under {@code storageKey}, for a change made elsewhere (a cluster notification). */
    public void evict(String storageKey) {
        invalidate(storageKey);
    }

    /** Sessions kept now, expired ones included until they are swept. */
    public int size() {
        return cache.size();
    }

    /** Drops {@code storageKey} and turns away lookups under way; returns the new write count. */
    private long invalidate(String storageKey) {
        long generation = writes.incrementAndGet();
        cache.remove(storageKey);
        return generation;
    }

    private void remember(String storageKey, Session session, long generation) {
        if (ttlNanos == 0 || writes.get() != generation) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (cache.size() >= maxEntries) {
            makeRoom(now);
        }
        Entry entry = new Entry(session, now + ttlNanos);
        cache.put(storageKey, entry);
        if (writes.get() != generation) {
            // A write or an eviction came between the check above and the put: it may have missed this entry.
            cache.remove(storageKey, entry);
        }
    }

    /** Drops expired sessions; if that is not enough, arbitrary ones down to nine tenths of the bound. */
    private void makeRoom(long now) {
        cache.values().removeIf(entry -> now - entry.expiresAt() >= 0);
        int target = maxEntries - Math.max(1, maxEntries / 10);
        Iterator<String> keys = cache.keySet().iterator();
        while (cache.size() > target && keys.hasNext()) {
            keys.next();
            keys.remove();
        }
    }
}
