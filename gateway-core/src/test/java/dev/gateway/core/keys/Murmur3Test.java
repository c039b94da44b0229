package dev.gateway.core.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class Murmur3Test {

    /** Rows of the murmur3 Go library's reference table (murmur_test.go): seed, h32, h64_1, h64_2, input. */
    static Stream<Arguments> goLibraryVectors() {
        return Stream.of(
                row(0x00, 0x00000000, 0x0000000000000000L, 0x0000000000000000L, ""),
                row(0x00, 0x248bfa47, 0xcbd8a7b341bd9b02L, 0x5b1e906a48ae1d19L, "hello"),
                row(0x00, 0x149bbb7f, 0x342fac623a5ebc8eL, 0x4cdcbc079642414dL, "hello, world"),
                row(0x00, 0xe31e8a70, 0xb89e5988b737affcL, 0x664fc2950231b2cbL, "19 Jan 2038 at 3:14:07 AM"),
                row(0x00, 0xd5c48bfc, 0xcd99481f9ee902c9L, 0x695da1a38987b6e7L,
                        "The quick brown fox jumps over the lazy dog."),
                row(0x01, 0x514e28b7, 0x4610abe56eff5cb5L, 0x51622daa78f83583L, ""),
                row(0x01, 0xbb4abcad, 0xa78ddff5adae8d10L, 0x128900ef20900135L, "hello"),
                row(0x01, 0x6f5cb2e9, 0x8b95f808840725c6L, 0x1597ed5422bd493bL, "hello, world"),
                row(0x01, 0xf50e1f30, 0x2a929de9c8f97b2fL, 0x56a41d99af43a2dbL, "19 Jan 2038 at 3:14:07 AM"),
                row(0x01, 0x846f6a36, 0xfb3325171f9744daL, 0xaaf8b92a5f722952L,
                        "The quick brown fox jumps over the lazy dog."),
                row(0x2a, 0x087fcd5c, 0xf02aa77dfa1b8523L, 0xd1016610da11cbb9L, ""),
                row(0x2a, 0xe2dbd2e1, 0xc4b8b3c960af6f08L, 0x2334b875b0efbc7aL, "hello"),
                row(0x2a, 0x7ec7c6c2, 0xb91864d797caa956L, 0xd5d139a55afe6150L, "hello, world"),
                row(0x2a, 0x58f745f6, 0xfd8f19ebdc8c6b6aL, 0xd30fdc310fa08ff9L, "19 Jan 2038 at 3:14:07 AM"),
                row(0x2a, 0xc02d1434, 0x74f33c659cda5af7L, 0x4ec7a891caf316f0L,
                        "The quick brown fox jumps over the lazy dog."));
    }

    private static Arguments row(int seed, int h32, long h64a, long h64b, String s) {
        return Arguments.of(seed, h32, h64a, h64b, s);
    }

    @ParameterizedTest
    @MethodSource("goLibraryVectors")
    void matchesGoLibraryTable(int seed, int h32, long h64a, long h64b, String s) {
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        assertEquals(h32, Murmur3.hash32(in, seed));
        long[] h128 = Murmur3.hash128(in, seed);
        assertEquals(h64a, h128[0]);
        assertEquals(h64b, h128[1]);
    }

    /** The rows without a seed: Tyk only uses the unseeded New32, New64 and New128. */
    static Stream<Arguments> unseededGoLibraryVectors() {
        return goLibraryVectors().filter(row -> (int) row.get()[0] == 0);
    }

    @ParameterizedTest
    @MethodSource("unseededGoLibraryVectors")
    void digestsAreGoSumBytes(int seed, int h32, long h64a, long h64b, String s) {
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        HexFormat hex = HexFormat.of();
        assertEquals(String.format("%08x", h32), hex.formatHex(Murmur3.digest32(in)));
        assertEquals(String.format("%016x", h64a), hex.formatHex(Murmur3.digest64(in)));
        assertEquals(String.format("%016x%016x", h64a, h64b), hex.formatHex(Murmur3.digest128(in)));
    }

    /** Every tail length of both block sizes, checked against Python mmh3 5.3.0 (x86_32 and x64_128). */
    @Test
    void tailLengthsMatchIndependentImplementation() {
        HexFormat hex = HexFormat.of();
        assertEquals("3c2569b2", hex.formatHex(Murmur3.digest32(bytes("a"))));
        assertEquals("85555565f6597889e6b53a48510e895a", hex.formatHex(Murmur3.digest128(bytes("a"))));
        assertEquals("b6655e4a", hex.formatHex(Murmur3.digest32(bytes("abcdefghijklmnopq"))));
        assertEquals("7564747f88bda657ecda499da1110de4",
                hex.formatHex(Murmur3.digest128(bytes("abcdefghijklmnopq"))));
        assertEquals("62716aaa", hex.formatHex(Murmur3.digest32(bytes("defaultf1bfc265b48841f1b1dcdc26cd39eadf"))));
    }

    /** Tyk issue #1309: before Tyk 5.0 its murmur32 ignored the last length%4 bytes, so these two collided. */
    @Test
    void legacy32ReproducesTykIssue1309Collision() {
        HexFormat hex = HexFormat.of();
        assertEquals("319d3ab3",
                hex.formatHex(Murmur3.digest32Legacy(bytes("defaultf1bfc265b48841f1b1dcdc26cd39eadf"))));
        assertEquals("319d3ab3",
                hex.formatHex(Murmur3.digest32Legacy(bytes("defaultf1bfc265b48841f1b1dcdc26cd39eade"))));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
