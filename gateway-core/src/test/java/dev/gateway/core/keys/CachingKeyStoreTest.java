package dev.gateway.core.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CachingKeyStoreTest {

    private static final Duration TTL = Duration.ofSeconds(5);

    private final AtomicLong clock = new AtomicLong(1_000);
    /** The store behind the cache; also what "another gateway" writes to. */
    private final CountingStore store = new CountingStore();
    private final CachingKeyStore cache = new CachingKeyStore(store, TTL, 100, clock::get);

    @Test
    void aSessionIsReadOnceForTheCacheTime() throws Exception {
        store.inner.put("apikey-a", session(10));

        assertEquals(10, get("apikey-a").rate());
        clock.addAndGet(TTL.toNanos() - 1);
        assertEquals(10, get("apikey-a").rate());
        assertEquals(1, store.gets);

        clock.addAndGet(1);
        get("apikey-a");
        assertEquals(2, store.gets, "read again once the cache time is over");
    }

    @Test
    void aHitIsACopyTheCallerMayChange() throws Exception {
        store.inner.put("apikey-a", session(10));
        get("apikey-a").quotaRemaining(3);

        Session again = get("apikey-a");

        assertEquals(0, again.quotaRemaining());
        again.quotaRemaining(4);
        assertEquals(0, get("apikey-a").quotaRemaining());
        assertEquals(1, store.gets);
    }

    @Test
    void anUnknownKeyIsAskedEveryTimeSoAKeyCreatedElsewhereWorksAtOnce() throws Exception {
        assertNull(get("apikey-new"));

        store.inner.put("apikey-new", session(7));

        assertEquals(7, get("apikey-new").rate());
        assertEquals(2, store.gets);
    }

    @Test
    void aFailedLookupIsNotKept() throws Exception {
        store.inner.put("apikey-a", session(10));
        store.failNext = true;

        assertThrows(ExecutionException.class, () -> get("apikey-a"));

        assertEquals(10, get("apikey-a").rate());
    }

    @Test
    void writesThroughTheCacheTakeEffectAtOnce() throws Exception {
        store.inner.put("apikey-a", session(10));
        get("apikey-a");

        cache.put("apikey-a", session(20)).toCompletableFuture().get();
        assertEquals(20, get("apikey-a").rate());
        assertEquals(20, store.inner.get("apikey-a").toCompletableFuture().get().rate());

        assertTrue(cache.delete("apikey-a").toCompletableFuture().get());
        assertNull(get("apikey-a"));
    }

    @Test
    void aPutSessionChangedAfterwardsByItsCallerIsNotChangedInTheCache() throws Exception {
        Session written = session(20);
        cache.put("apikey-a", written).toCompletableFuture().get();

        written.quotaRemaining(99);

        assertEquals(0, get("apikey-a").quotaRemaining());
    }

    @Test
    void evictForgetsAChangeMadeElsewhere() throws Exception {
        store.inner.put("apikey-a", session(10));
        get("apikey-a");
        store.inner.put("apikey-a", session(30));
        assertEquals(10, get("apikey-a").rate(), "cached: the other gateway's change is not seen yet");

        cache.evict("apikey-a");

        assertEquals(30, get("apikey-a").rate());
    }

    @Test
    void aLookupUnderWayWhileAKeyIsDeletedDoesNotBringItBack() throws Exception {
        store.inner.put("apikey-a", session(10));
        store.holdGets = true;
        CompletableFuture<Session> lookup = cache.get("apikey-a").toCompletableFuture();
        Session old = store.inner.get("apikey-a").toCompletableFuture().get();

        cache.delete("apikey-a").toCompletableFuture().get();
        store.release(old);

        assertEquals(10, lookup.get().rate(), "the caller gets what it asked for");
        store.holdGets = false;
        assertNull(get("apikey-a"), "but it is not kept");
    }

    @Test
    void aLookupBegunWhileAPutIsUnderWayDoesNotOverwriteTheNewSession() throws Exception {
        store.inner.put("apikey-a", session(10));
        store.holdPuts = true;
        CompletableFuture<Void> write = cache.put("apikey-a", session(20)).toCompletableFuture();
        store.holdGets = true;
        CompletableFuture<Session> lookup = cache.get("apikey-a").toCompletableFuture();
        Session old = store.inner.get("apikey-a").toCompletableFuture().get();

        store.landPut();
        write.get();
        store.release(old);
        assertEquals(10, lookup.get().rate(), "read before the write landed");

        store.holdGets = false;
        assertEquals(20, get("apikey-a").rate());
        assertEquals(1, store.gets, "the new session was kept, not the old one read meanwhile");
    }

    @Test
    void theCacheHoldsAtMostItsBound() throws Exception {
        for (int i = 0; i < 250; i++) {
            store.inner.put("apikey-" + i, session(i));
            assertNotNull(get("apikey-" + i));
            assertTrue(cache.size() <= 100, "size " + cache.size());
        }
        assertEquals(249, get("apikey-249").rate(), "the newest is kept");
    }

    @Test
    void aZeroTtlKeepsNothing() throws Exception {
        CachingKeyStore none = new CachingKeyStore(store, Duration.ZERO, 100, clock::get);
        store.inner.put("apikey-a", session(10));

        none.get("apikey-a").toCompletableFuture().get();
        none.get("apikey-a").toCompletableFuture().get();

        assertEquals(2, store.gets);
        assertEquals(0, none.size());
    }

    @Test
    void listAsksTheStore() throws Exception {
        store.inner.put("apikey-a", session(1));

        assertEquals(List.of("apikey-a"), cache.list().toCompletableFuture().get());
    }

    private Session get(String key) throws Exception {
        return cache.get(key).toCompletableFuture().get();
    }

    private static Session session(double rate) {
        return Session.parse(("{\"rate\": " + rate + ", \"per\": 1}").getBytes(StandardCharsets.UTF_8));
    }

    /** A memory store that counts lookups, can fail one, and can hold lookups until the test releases them. */
    private static final class CountingStore implements KeyStore {
        final MemoryKeyStore inner = new MemoryKeyStore();
        final Queue<CompletableFuture<Session>> held = new ArrayDeque<>();
        final Queue<Runnable> heldPuts = new ArrayDeque<>();
        int gets;
        boolean failNext;
        boolean holdGets;
        boolean holdPuts;

        @Override
        public CompletionStage<Session> get(String storageKey) {
            gets++;
            if (failNext) {
                failNext = false;
                return CompletableFuture.failedFuture(new IllegalStateException("Redis is down"));
            }
            if (holdGets) {
                CompletableFuture<Session> pending = new CompletableFuture<>();
                held.add(pending);
                return pending;
            }
            return inner.get(storageKey);
        }

        /** Completes the oldest held lookup with what the store held when it was asked. */
        void release(Session answer) {
            held.remove().complete(answer);
        }

        @Override
        public CompletionStage<Void> put(String storageKey, Session session) {
            if (!holdPuts) {
                return inner.put(storageKey, session);
            }
            CompletableFuture<Void> pending = new CompletableFuture<>();
            heldPuts.add(() -> inner.put(storageKey, session).thenRun(() -> pending.complete(null)));
            return pending;
        }

        /** Writes the oldest held put and completes it. */
        void landPut() {
            heldPuts.remove().run();
        }

        @Override
        public CompletionStage<Boolean> delete(String storageKey) {
            return inner.delete(storageKey);
        }

        @Override
        public CompletionStage<List<String>> list() {
            return inner.list();
        }
    }
}
