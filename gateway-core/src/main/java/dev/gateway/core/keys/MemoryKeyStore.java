package dev.gateway.core.keys;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The default {@link KeyStore}: sessions in this process, for one gateway. Each is kept as a copy of the session the
 * store was given, and every reader gets a copy of its own, so a change is seen only once it is put back, as with
 * Redis. Copies, not JSON: a request reads its key's session, and copying the tree costs a fraction of parsing it.
 */
public final class MemoryKeyStore implements KeyStore {

    /** Never handed out: only copied, on the way in and on the way out. */
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    @Override
    public CompletionStage<Session> get(String storageKey) {
        Session stored = sessions.get(storageKey);
        return CompletableFuture.completedFuture(stored == null ? null : stored.copy());
    }

    @Override
    public CompletionStage<Void> put(String storageKey, Session session) {
        sessions.put(storageKey, session.copy());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Boolean> delete(String storageKey) {
        return CompletableFuture.completedFuture(sessions.remove(storageKey) != null);
    }

    @Override
    public CompletionStage<List<String>> list() {
        return CompletableFuture.completedFuture(List.copyOf(sessions.keySet()));
    }

    /** How many sessions are stored. */
    public int size() {
        return sessions.size();
    }
}
