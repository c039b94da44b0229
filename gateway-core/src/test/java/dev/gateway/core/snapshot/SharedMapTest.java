package dev.gateway.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A copy changes what it changes and nothing of its original, however many shards there are. */
class SharedMapTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 1000, 5000})
    void aCopyAndItsOriginalGoTheirOwnWays(int entries) {
        SharedMap<String, Integer> original = SharedMap.sized(entries);
        for (int i = 0; i < entries; i++) {
            original.put("api-" + i, i);
        }
        original.put("api-x", -1);
        assertEquals(entries + 1, original.size());

        SharedMap<String, Integer> copy = original.copy();
        copy.put("api-x", -2);
        copy.put("api-new", 7);
        assertEquals(entries == 0 ? null : 0, copy.remove("api-0"));
        assertNull(copy.remove("api-absent"));

        assertEquals(-1, original.get("api-x"));
        assertNull(original.get("api-new"));
        assertEquals(entries + 1, original.size());
        assertEquals(-2, copy.get("api-x"));
        assertEquals(7, copy.get("api-new"));
        assertEquals(entries == 0 ? entries + 2 : entries + 1, copy.size());
        for (int i = 1; i < entries; i++) {
            assertEquals(i, original.get("api-" + i));
            assertEquals(i, copy.get("api-" + i));
        }
        if (entries > 0) {
            assertEquals(0, original.get("api-0"));
            assertNull(copy.get("api-0"));
        }

        SharedMap<String, Integer> copyOfCopy = copy.copy();
        copyOfCopy.remove("api-x");
        assertEquals(-2, copy.get("api-x"));
        assertNull(copyOfCopy.get("api-x"));
    }
}
