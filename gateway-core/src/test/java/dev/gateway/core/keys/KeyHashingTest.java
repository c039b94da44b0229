package dev.gateway.core.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KeyHashingTest {

    private static final String ORG = "5e9d9544a1dcd60001d0ed20";
    /** base64 of {"org":"default","id":"abc","h":"murmur64"}, made with coreutils base64. */
    private static final String TOKEN64 = "eyJvcmciOiJkZWZhdWx0IiwiaWQiOiJhYmMiLCJoIjoibXVybXVyNjQifQ==";

    @Test
    void sha256IsPlainHexSha256() throws Exception {
        byte[] expected = MessageDigest.getInstance("SHA-256").digest("mykey".getBytes(StandardCharsets.UTF_8));
        assertEquals(HexFormat.of().formatHex(expected), KeyHashing.hash("mykey", "sha256"));
    }

    @Test
    void murmurVariantsUseGoSumByteOrder() {
        assertEquals("248bfa47", KeyHashing.hash("hello", "murmur32"));
        assertEquals("cbd8a7b341bd9b02", KeyHashing.hash("hello", "murmur64"));
        assertEquals("cbd8a7b341bd9b025b1e906a48ae1d19", KeyHashing.hash("hello", "murmur128"));
    }

    @Test
    void emptyOrUnknownAlgorithmOnLegacyKeyIsMurmur32() {
        assertEquals("248bfa47", KeyHashing.hash("hello", ""));
        assertEquals("248bfa47", KeyHashing.hash("hello", null));
        assertEquals("248bfa47", KeyHashing.hash("hello", "md5"));
        assertEquals("murmur32", KeyHashing.algorithmOf(ORG + "abc123"));
    }

    @Test
    void generateMakesTykTokenAndLegacyKeys() {
        assertEquals(TOKEN64, KeyHashing.generate("default", "abc", "murmur64"));
        assertEquals("defaultabc", KeyHashing.generate("default", "abc", ""));
        assertEquals("defaultabc", KeyHashing.generate("default", "abc", null));
        String fallback = decode(KeyHashing.generate("default", "abc", "md5"));
        assertEquals("{\"org\":\"default\",\"id\":\"abc\",\"h\":\"murmur64\"}", fallback);
    }

    @Test
    void generatedIdIsDashlessUuid() {
        String token = KeyHashing.generate(ORG, "", "sha256");
        String id = KeyHashing.tokenId(token).orElseThrow();
        assertTrue(id.matches("[0-9a-f]{32}"), id);
        assertTrue(KeyHashing.generate(ORG, null, "").matches(ORG + "[0-9a-f]{32}"));
    }

    /** Full Tyk key hashes; expected values from Python mmh3 5.3.0 over the token text. */
    @Test
    void tokenSelectsItsOwnHash() {
        assertEquals("murmur64", KeyHashing.algorithmOf(TOKEN64));
        assertEquals("5d49993050e360e6", KeyHashing.hash(TOKEN64, null));
        String token128 = KeyHashing.generate(ORG, "user1", "murmur128");
        assertEquals("eyJvcmciOiI1ZTlkOTU0NGExZGNkNjAwMDFkMGVkMjAiLCJpZCI6InVzZXIxIiwiaCI6Im11cm11cjEyOCJ9",
                token128);
        assertEquals("76edeafbbbb61f5409c20e3748493307", KeyHashing.hash(token128, ""));
        String tokenSha = KeyHashing.generate(ORG, "user1", "sha256");
        assertEquals(KeyHashing.hash(tokenSha, "sha256"), KeyHashing.hash(tokenSha, null));
    }

    @Test
    void explicitAlgorithmOverridesToken() {
        assertEquals("8f19e727", KeyHashing.hash(TOKEN64, "murmur32")); // Python mmh3 5.3.0
    }

    @Test
    void tokenWithMissingOrUnknownHashFallsBackToMurmur32() {
        String noH = encode("{\"org\":\"o\",\"id\":\"i\"}");
        String unknownH = encode("{\"org\":\"o\",\"id\":\"i\",\"h\":\"md5\"}");
        String numericH = encode("{\"org\":\"o\",\"id\":\"i\",\"h\":5}");
        assertEquals("", KeyHashing.tokenHashField(noH));
        assertEquals("md5", KeyHashing.tokenHashField(unknownH));
        assertEquals("", KeyHashing.tokenHashField(numericH));
        assertEquals("murmur32", KeyHashing.algorithmOf(noH));
        assertEquals("murmur32", KeyHashing.algorithmOf(unknownH));
        assertEquals(KeyHashing.hash(unknownH, "murmur32"), KeyHashing.hash(unknownH, null));
    }

    @Test
    void tokenNeedsPaddedStandardBase64() {
        String unpadded = TOKEN64.replace("=", "");
        assertEquals("", KeyHashing.tokenHashField(unpadded));
        assertEquals("murmur64", KeyHashing.tokenHashField(TOKEN64.substring(0, 40) + "\n" + TOKEN64.substring(40)));
        assertEquals("", KeyHashing.tokenHashField("ey-not-base64"));
        assertEquals("", KeyHashing.tokenHashField("xx" + TOKEN64));
    }

    @Test
    void nestedHIsNotTheTokensHash() {
        String nested = encode("{\"org\":\"o\",\"meta\":{\"h\":\"sha256\"},\"id\":\"i\"}");
        assertEquals("", KeyHashing.tokenHashField(nested));
        assertEquals(Optional.of("i"), KeyHashing.tokenId(nested));
    }

    @Test
    void redisKeyHashesOnlyWhenAsked() {
        assertEquals("apikey-" + ORG + "abc", KeyHashing.redisKey(ORG + "abc", false));
        assertEquals("apikey-" + KeyHashing.hash(ORG + "abc", "murmur32"), KeyHashing.redisKey(ORG + "abc", true));
        assertEquals("apikey-5d49993050e360e6", KeyHashing.redisKey(TOKEN64, true));
        assertEquals(TOKEN64, KeyHashing.storageName(TOKEN64, false));
    }

    @Test
    void orgAndIdOfTokensAndLegacyKeys() {
        assertEquals("default", KeyHashing.tokenOrg(TOKEN64));
        assertEquals(Optional.of("abc"), KeyHashing.tokenId(TOKEN64));
        assertEquals(ORG, KeyHashing.tokenOrg(ORG + "abc"));
        assertEquals(ORG.toUpperCase(), KeyHashing.tokenOrg(ORG.toUpperCase() + "x"));
        assertEquals("", KeyHashing.tokenOrg(ORG));
        assertEquals("", KeyHashing.tokenOrg("default" + "abc"));
        assertEquals("", KeyHashing.tokenOrg("zz" + ORG));
        assertEquals(Optional.empty(), KeyHashing.tokenId(ORG + "abc"));
    }

    @Test
    void gatewayKeyStripsOrgPrefixFromUsername() {
        assertEquals(ORG + "alice", KeyHashing.gatewayKey(ORG, "alice", ""));
        assertEquals(ORG + "alice", KeyHashing.gatewayKey(ORG, ORG + "alice", ""));
        assertEquals(KeyHashing.generate(ORG, "alice", "murmur64"),
                KeyHashing.gatewayKey(ORG, ORG + "alice", "murmur64"));
    }

    @Test
    void passwordMatchesStoredHash() {
        String stored = KeyHashing.hash("s3cret", "sha256");
        assertTrue(KeyHashing.passwordMatches(stored, "s3cret", "sha256"));
        assertFalse(KeyHashing.passwordMatches(stored, "s3creT", "sha256"));
        assertFalse(KeyHashing.passwordMatches(stored, "s3cret", "murmur64"));
    }

    private static String encode(String json) {
        return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String token) {
        return new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8);
    }
}
