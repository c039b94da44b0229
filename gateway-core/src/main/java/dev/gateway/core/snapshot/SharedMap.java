package dev.gateway.core.snapshot;

import java.util.BitSet;
import java.util.HashMap;

/**
 * A hash map whose copies share what they do not change, so that a targeted reload of one API among thousands copies
 * a few dozen entries rather than every one. Its entries are spread over about √n shards, each a {@link HashMap}, by
 * the high bits of a multiplicative hash of the key (the shards' own tables index by the low bits, which therefore
 * stay varied within a shard). A {@linkplain #copy copy} shares every shard with its original and copies a shard the
 * first time it changes one.
 *
 * <p>A map is written only while the snapshot that will hold it is being compiled, on one thread, and never once
 * that snapshot exists; its copies then never write to a shard it still uses. Not thread-safe while written.
 */
final class SharedMap<K, V> {

    private final HashMap<K, V>[] shards;
    private final int shift;
    /** The shards this map copied (or made), which it may write; the others it shares with its original. */
    private final BitSet owned;
    private int size;

    private SharedMap(HashMap<K, V>[] shards, int shift, BitSet owned, int size) {
        this.shards = shards;
        this.shift = shift;
        this.owned = owned;
        this.size = size;
    }

    /** An empty map for about {@code expected} entries. */
    @SuppressWarnings("unchecked")
    static <K, V> SharedMap<K, V> sized(int expected) {
        int bits = Math.max(0, (32 - Integer.numberOfLeadingZeros(Math.max(1, expected) - 1) + 1) / 2);
        int count = 1 << bits;
        HashMap<K, V>[] shards = new HashMap[count];
        int perShard = expected / count + 1;
        for (int i = 0; i < count; i++) {
            shards[i] = new HashMap<>(perShard * 4 / 3 + 1);
        }
        BitSet owned = new BitSet(count);
        owned.set(0, count);
        return new SharedMap<>(shards, 32 - bits, owned, 0);
    }

    /** A map with the same entries, which shares every shard with this one until it changes it. */
    SharedMap<K, V> copy() {
        return new SharedMap<>(shards.clone(), shift, new BitSet(shards.length), size);
    }

    V get(Object key) {
        return shards[shard(key)].get(key);
    }

    int size() {
        return size;
    }

    void put(K key, V value) {
        if (writable(shard(key)).put(key, value) == null) {
            size++;
        }
    }

    V remove(Object key) {
        int shard = shard(key);
        if (!shards[shard].containsKey(key)) {
            return null;
        }
        size--;
        return writable(shard).remove(key);
    }

    private HashMap<K, V> writable(int shard) {
        if (!owned.get(shard)) {
            shards[shard] = new HashMap<>(shards[shard]);
            owned.set(shard);
        }
        return shards[shard];
    }

    private int shard(Object key) {
        // Fibonacci hashing: the high bits of the product depend on every bit of the hash. A shift of 32 (one shard)
        // is a shift of 0 to Java, so that case is spelled out.
        return shift == 32 ? 0 : (key.hashCode() * 0x9E3779B9) >>> shift;
    }
}
