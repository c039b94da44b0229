package dev.gateway.core.keys;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Finds a key's session as Tyk's {@code SessionDetail} does: a key not already of the API's organisation is tried
 * first in the form the gateway gives keys of that organisation ({@code org_id + key}, or the base64 token of
 * {@code hash_key_function}), then as it is. So a custom key made as {@code my-key} for {@code org1} (stored as
 * {@code org1my-key}) opens that organisation's APIs when the client sends {@code my-key}.
 */
public final class KeyLookup {

    /**
     * A key found.
     *
     * @param name the name it is stored under (Tyk's {@code KeyID}), what its limits are counted by
     * @param storageKey its storage key, {@code apikey-} prefix included
     */
    public record Found(String name, String storageKey, Session session) {
    }

    private final KeyStore store;
    private final boolean hashKeys;
    private final String hashKeyFunction;

    public KeyLookup(KeyStore store, boolean hashKeys, String hashKeyFunction) {
        this.store = store;
        this.hashKeys = hashKeys;
        this.hashKeyFunction = hashKeyFunction;
    }

    /** The names {@code key} may be stored under for {@code orgId}, in the order Tyk tries them. */
    public List<String> names(String key, String orgId) {
        List<String> names = new ArrayList<>(2);
        if (!KeyHashing.tokenOrg(key).equals(orgId)) {
            names.add(KeyHashing.gatewayKey(orgId, key, hashKeyFunction));
        }
        if (!names.contains(key)) {
            names.add(key);
        }
        return names;
    }

    /** The session of {@code key} for {@code orgId}; {@code null} inside the stage when there is none. */
    public CompletionStage<Found> find(String key, String orgId) {
        return find(names(key, orgId));
    }

    /** The first of {@code names} the store has; {@code null} inside the stage when it has none. */
    public CompletionStage<Found> find(List<String> names) {
        return next(names.iterator());
    }

    /** The session stored under the hash {@code hash} (Tyk's {@code ?hashed}); {@code null} when none. */
    public CompletionStage<Found> findHashed(String hash) {
        String storageKey = KeyHashing.REDIS_PREFIX + hash;
        return store.get(storageKey).thenApply(session -> session == null ? null
                : new Found(hash, storageKey, session));
    }

    private CompletionStage<Found> next(Iterator<String> names) {
        if (!names.hasNext()) {
            return CompletableFuture.completedFuture(null);
        }
        String name = names.next();
        String storageKey = KeyHashing.redisKey(name, hashKeys);
        return store.get(storageKey).thenCompose(session -> session != null
                ? CompletableFuture.completedFuture(new Found(name, storageKey, session)) : next(names));
    }
}
