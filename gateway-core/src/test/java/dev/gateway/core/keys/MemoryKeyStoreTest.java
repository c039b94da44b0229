package dev.gateway.core.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The in-memory store hands out copies, and a change counts once it is put back. */
class MemoryKeyStoreTest {

    private static Session session(long quota) {
        return Session.parse(("{\"quota_remaining\": " + quota + ", \"unknown\": {\"kept\": true}}")
                .getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void storesGetsAndDeletes() throws Exception {
        MemoryKeyStore store = new MemoryKeyStore();
        assertNull(store.get("apikey-x").toCompletableFuture().get());
        store.put("apikey-x", session(5)).toCompletableFuture().get();
        assertEquals(5, store.get("apikey-x").toCompletableFuture().get().quotaRemaining());
        assertTrue(store.delete("apikey-x").toCompletableFuture().get());
        assertFalse(store.delete("apikey-x").toCompletableFuture().get());
        assertEquals(0, store.size());
    }

    @Test
    void readersGetCopies() throws Exception {
        MemoryKeyStore store = new MemoryKeyStore();
        Session original = session(5);
        store.put("apikey-x", original).toCompletableFuture().get();
        original.quotaRemaining(0);
        Session read = store.get("apikey-x").toCompletableFuture().get();
        assertEquals(5, read.quotaRemaining(), "a change to the stored object after put is not stored");
        read.quotaRemaining(1);
        assertEquals(5, store.get("apikey-x").toCompletableFuture().get().quotaRemaining(),
                "nor one to a read copy before it is put back");
        assertTrue(new String(store.get("apikey-x").toCompletableFuture().get().toJson(), StandardCharsets.UTF_8)
                .contains("\"kept\":true"));
    }
}
