package dev.gateway.core.keys;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The default {@link KeyStore}: sessions in this process, for one gateway. Each is kept as the JSON the store was
 * given, so every reader gets its own copy and a change is seen only once it is put back, as with Redis.
 */
public final class MemoryKeyStore implements KeyStore {

    private final Map<String, byte[]> sessions = new ConcurrentHashMap<>();

    @Override
    public CompletionStage<Session> get(String storageKey) {
        byte[] json = sessions.get(storageKey);
        return CompletableFuture.completedFuture(json == null ? null : Session.parse(json));
    }

    @Override
    public CompletionStage<Void> put(String storageKey, Session session) {
        sessions.put(storageKey, session.toJson());
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
