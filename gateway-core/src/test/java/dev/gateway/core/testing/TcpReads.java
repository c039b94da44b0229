package dev.gateway.core.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The reads a peer's bytes may arrive in. TCP keeps no message boundaries, so a parser must reach the same outcome
 * whether a header comes in one read or cut anywhere; fuzz tests feed an input both ways and compare.
 */
public final class TcpReads {

    /** Longest piece of {@link #cut}: short enough that every field of a header is split somewhere. */
    private static final int MAX_PIECE = 16;

    private TcpReads() {
    }

    /** The bytes as one read. */
    public static List<byte[]> whole(byte[] bytes) {
        return List.of(bytes);
    }

    /**
     * The bytes cut into pieces of 1 to {@value #MAX_PIECE} bytes. The cut points follow from the bytes
     * themselves, so a failing input fails again the same way.
     */
    public static List<byte[]> cut(byte[] bytes) {
        SplittableRandom random = new SplittableRandom(Arrays.hashCode(bytes));
        List<byte[]> pieces = new ArrayList<>();
        for (int from = 0; from < bytes.length; ) {
            int to = Math.min(bytes.length, from + 1 + random.nextInt(MAX_PIECE));
            pieces.add(Arrays.copyOfRange(bytes, from, to));
            from = to;
        }
        return pieces;
    }
}
