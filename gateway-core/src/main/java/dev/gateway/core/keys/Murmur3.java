package dev.gateway.core.keys;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * MurmurHash3 as Tyk uses it through its Go fork {@code github.com/TykTechnologies/murmur3} (itself a fork of
 * {@code spaolacci/murmur3}). Input blocks are read little-endian, as the Go code does on every platform Tyk ships
 * for; the {@code digest*} methods return what Go's {@code h.Sum(nil)} returns, i.e. the hash words written
 * big-endian.
 */
public final class Murmur3 {

    private static final VarHandle INT_LE =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG_BE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private static final int C1_32 = 0xcc9e2d51;
    private static final int C2_32 = 0x1b873593;
    private static final long C1_128 = 0x87c37b91114253d5L;
    private static final long C2_128 = 0x4cf5ad432745937fL;

    private Murmur3() {
    }

    /** MurmurHash3 x86_32; mirrors Go {@code murmur3.Sum32WithSeed}. */
    public static int hash32(byte[] data, int seed) {
        int h1 = mix32Blocks(data, seed);
        int tailStart = data.length & ~3;
        int k1 = 0;
        for (int i = data.length - 1; i >= tailStart; i--) {
            k1 = (k1 << 8) | (data[i] & 0xff);
        }
        if (data.length > tailStart) {
            h1 ^= Integer.rotateLeft(k1 * C1_32, 15) * C2_32;
        }
        h1 ^= data.length;
        h1 ^= h1 >>> 16;
        h1 *= 0x85ebca6b;
        h1 ^= h1 >>> 13;
        h1 *= 0xc2b2ae35;
        return h1 ^ (h1 >>> 16);
    }

    /**
     * The value Tyk's murmur3 fork returned from {@code New32().Sum(nil)} before Tyk 5.0 (kept today as
     * {@code New32Legacy}): only the whole 4-byte blocks are mixed; the tail, the length and the final avalanche
     * are skipped. Keys differing only in their last {@code length % 4} bytes therefore collide.
     */
    public static int hash32Legacy(byte[] data) {
        return mix32Blocks(data, 0);
    }

    private static int mix32Blocks(byte[] data, int seed) {
        int h1 = seed;
        int end = data.length & ~3;
        for (int i = 0; i < end; i += 4) {
            int k1 = Integer.rotateLeft((int) INT_LE.get(data, i) * C1_32, 15) * C2_32;
            h1 = Integer.rotateLeft(h1 ^ k1, 13) * 5 + 0xe6546b64;
        }
        return h1;
    }

    /** MurmurHash3 x64_128 as {@code {h1, h2}}; mirrors Go {@code murmur3.Sum128WithSeed}. */
    public static long[] hash128(byte[] data, int seed) {
        long h1 = seed & 0xffffffffL;
        long h2 = h1;
        int end = data.length & ~15;
        for (int i = 0; i < end; i += 16) {
            h1 ^= mixK1((long) LONG_LE.get(data, i));
            h1 = (Long.rotateLeft(h1, 27) + h2) * 5 + 0x52dce729;
            h2 ^= mixK2((long) LONG_LE.get(data, i + 8));
            h2 = (Long.rotateLeft(h2, 31) + h1) * 5 + 0x38495ab5;
        }
        long k1 = 0;
        long k2 = 0;
        for (int i = data.length - 1; i >= end; i--) {
            long b = data[i] & 0xffL;
            if (i - end >= 8) {
                k2 = (k2 << 8) | b;
            } else {
                k1 = (k1 << 8) | b;
            }
        }
        int tail = data.length - end;
        if (tail > 8) {
            h2 ^= mixK2(k2);
        }
        if (tail > 0) {
            h1 ^= mixK1(k1);
        }
        return finish128(h1 ^ data.length, h2 ^ data.length);
    }

    private static long mixK1(long k1) {
        return Long.rotateLeft(k1 * C1_128, 31) * C2_128;
    }

    private static long mixK2(long k2) {
        return Long.rotateLeft(k2 * C2_128, 33) * C1_128;
    }

    private static long[] finish128(long h1, long h2) {
        h1 += h2;
        h2 += h1;
        h1 = fmix64(h1);
        h2 = fmix64(h2);
        h1 += h2;
        h2 += h1;
        return new long[] {h1, h2};
    }

    private static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        return k ^ (k >>> 33);
    }

    /** Go {@code murmur3.New32().Sum(nil)} after writing {@code data}: 4 bytes, big-endian. */
    public static byte[] digest32(byte[] data) {
        byte[] out = new byte[4];
        INT_BE.set(out, 0, hash32(data, 0));
        return out;
    }

    /** Go {@code murmur3.New64().Sum(nil)}: the first word of x64_128, 8 bytes big-endian. */
    public static byte[] digest64(byte[] data) {
        byte[] out = new byte[8];
        LONG_BE.set(out, 0, hash128(data, 0)[0]);
        return out;
    }

    /** Go {@code murmur3.New128().Sum(nil)}: h1 then h2, each big-endian, 16 bytes. */
    public static byte[] digest128(byte[] data) {
        long[] h = hash128(data, 0);
        byte[] out = new byte[16];
        LONG_BE.set(out, 0, h[0]);
        LONG_BE.set(out, 8, h[1]);
        return out;
    }

    /** Pre-5.0 Tyk's {@code murmur3.New32().Sum(nil)}; see {@link #hash32Legacy(byte[])}. */
    public static byte[] digest32Legacy(byte[] data) {
        byte[] out = new byte[4];
        INT_BE.set(out, 0, hash32Legacy(data));
        return out;
    }
}
