package dev.gateway.core.keys;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Where sessions live, under Tyk's storage key ({@code apikey-<hash>}, see {@code KeyHashing}): in memory for one
 * gateway ({@link MemoryKeyStore}), or in Redis when several share them. Every call returns at once and completes
 * later, perhaps on another thread, so a filter waiting for a session never blocks an event loop. A failed stage
 * means the store could not answer (Redis down), never that the key is unknown.
 */
public interface KeyStore {

    /** The session stored under {@code storageKey}, a copy the caller may change; {@code null} when there is none. */
    CompletionStage<Session> get(String storageKey);

    /** Stores {@code session} under {@code storageKey}, replacing what was there. */
    CompletionStage<Void> put(String storageKey, Session session);

    /** Removes the session under {@code storageKey}; completes with whether there was one. */
    CompletionStage<Boolean> delete(String storageKey);

    /** The storage keys of every session, {@code apikey-} prefix included, for the keys listing. */
    CompletionStage<List<String>> list();
}
