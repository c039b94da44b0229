package dev.gateway.core.keys;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Tyk's API key hashing and key formats, mirroring Go package {@code internal/crypto} of TykTechnologies/tyk
 * (re-exported as {@code storage.HashStr}, {@code storage.HashKey}, {@code storage.GenerateToken}, ...).
 *
 * <p>Two kinds of key exist. Legacy keys are the org id followed by the key id, in plain text. Token keys are the
 * standard base64 of {@code {"org":"...","id":"...","h":"..."}}, so they start with {@code ey}; the {@code h} field
 * names the hash used when the key is stored. The configured {@code hash_key_function} only decides which
 * {@code h} new tokens carry: a stored key's hash never depends on it.
 */
public final class KeyHashing {

    /** {@code hash_key_function} value for SHA-256 (Tyk {@code crypto.HashSha256}). */
    public static final String SHA256 = "sha256";
    /** MurmurHash3 x86_32 (Tyk {@code crypto.HashMurmur32}); also what an empty or unknown name means. */
    public static final String MURMUR32 = "murmur32";
    /** First 64 bits of MurmurHash3 x64_128 (Tyk {@code crypto.HashMurmur64}). */
    public static final String MURMUR64 = "murmur64";
    /** MurmurHash3 x64_128 (Tyk {@code crypto.HashMurmur128}). */
    public static final String MURMUR128 = "murmur128";
    /** What Tyk puts in a new token whose requested algorithm is unknown (Tyk {@code DefaultHashAlgorithm}). */
    public static final String DEFAULT_TOKEN_ALGORITHM = MURMUR64;
    /** Prefix of session keys in Redis (Tyk's {@code RedisCluster{KeyPrefix: "apikey-"}}). */
    public static final String REDIS_PREFIX = "apikey-";

    private static final String B64_JSON_PREFIX = "ey";
    private static final int MONGO_ID_LENGTH = 24;
    private static final Set<String> KNOWN = Set.of(SHA256, MURMUR32, MURMUR64, MURMUR128);
    private static final JsonFactory JSON = new JsonFactory();
    private static final HexFormat HEX = HexFormat.of();

    private KeyHashing() {
    }

    /**
     * Hex hash of {@code key}; mirrors Tyk {@code HashStr(in, withAlg...)}. A null or empty {@code algorithm}
     * means "the key's own": {@link #algorithmOf(String)}. Unknown names fall back to murmur32 as Tyk does.
     */
    public static String hash(String key, String algorithm) {
        String algo = algorithm == null || algorithm.isEmpty() ? algorithmOf(key) : algorithm;
        return HEX.formatHex(digest(key.getBytes(StandardCharsets.UTF_8), algo));
    }

    private static byte[] digest(byte[] data, String algorithm) {
        switch (algorithm) {
            case SHA256:
                return sha256(data);
            case MURMUR64:
                return Murmur3.digest64(data);
            case MURMUR128:
                return Murmur3.digest128(data);
            default:
                return Murmur3.digest32(data);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /**
     * The algorithm Tyk stores {@code key} under; mirrors {@code TokenHashAlgo} followed by {@code hashFunction}'s
     * fallback. A token's {@code h} wins when it is a known name; everything else (legacy keys, tokens without or
     * with an unknown {@code h}) is murmur32. The configured {@code hash_key_function} plays no part.
     */
    public static String algorithmOf(String key) {
        String h = tokenHashField(key);
        return KNOWN.contains(h) ? h : MURMUR32;
    }

    /**
     * The raw {@code h} of a token as Tyk's {@code TokenHashAlgo} returns it: empty unless {@code key} starts with
     * {@code ey}, is standard padded base64 and its JSON has a string {@code h} at the top level.
     */
    public static String tokenHashField(String key) {
        if (!key.startsWith(B64_JSON_PREFIX)) {
            return "";
        }
        return decodeStd(key).flatMap(json -> topLevelString(json, "h")).orElse("");
    }

    /** How a key is named in log lines: its murmur32 hash, never the key itself. */
    public static String forLog(String key) {
        return hash(key, MURMUR32);
    }

    /**
     * Redis key of a session; mirrors {@code RedisCluster.fixKey}: {@code "apikey-"} plus {@link #hash} with the
     * key's own algorithm when {@code hash_keys} is on, or the raw key when it is off.
     */
    public static String redisKey(String key, boolean hashKeys) {
        return REDIS_PREFIX + storageName(key, hashKeys);
    }

    /** Mirrors Tyk {@code HashKey(in, hashKey)}: the key's own-algorithm hash, or the raw key when not hashing. */
    public static String storageName(String key, boolean hashKeys) {
        return hashKeys ? hash(key, null) : key;
    }

    /**
     * A new key; mirrors Tyk {@code GenerateToken(orgID, keyID, hashAlgorithm)}. An empty {@code keyId} becomes a
     * random dash-less UUID. An empty {@code algorithm} gives the legacy {@code orgId + keyId}; otherwise the
     * base64 JSON token, with an unknown algorithm replaced by murmur64 (Tyk also reports an error then, but keeps
     * the token). Like Tyk, the ids are put into the JSON unescaped.
     */
    public static String generate(String orgId, String keyId, String algorithm) {
        String id = keyId == null || keyId.isEmpty() ? UUID.randomUUID().toString().replace("-", "") : keyId;
        if (algorithm == null || algorithm.isEmpty()) {
            return orgId + id;
        }
        String h = KNOWN.contains(algorithm) ? algorithm : DEFAULT_TOKEN_ALGORITHM;
        String json = "{\"org\":\"" + orgId + "\",\"id\":\"" + id + "\",\"h\":\"" + h + "\"}";
        return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The key Tyk's gateway makes for an id or basic-auth username; mirrors {@code Gateway.generateToken}: a
     * leading {@code orgId} is dropped from {@code keyId}, then {@link #generate} runs with the configured
     * {@code hash_key_function}. With it empty this is the legacy {@code orgId + username}.
     */
    public static String gatewayKey(String orgId, String keyId, String configuredHashFunction) {
        String id = keyId == null ? "" : keyId;
        id = id.startsWith(orgId) ? id.substring(orgId.length()) : id;
        return generate(orgId, id, configuredHashFunction);
    }

    /** The {@code id} of a token; mirrors Tyk {@code TokenID}, which needs valid base64 but not the {@code ey}. */
    public static Optional<String> tokenId(String token) {
        return decodeStd(token).flatMap(json -> topLevelString(json, "id"));
    }

    /**
     * The org of a key; mirrors Tyk {@code TokenOrg}: a token's {@code org}, else the first 24 characters of a
     * longer key when they are hex (a legacy key prefixed by a Mongo ObjectId org), else empty.
     */
    public static String tokenOrg(String key) {
        if (key.startsWith(B64_JSON_PREFIX)) {
            Optional<String> org = decodeStd(key).flatMap(json -> topLevelString(json, "org"));
            if (org.isPresent()) {
                return org.get();
            }
        }
        if (key.length() > MONGO_ID_LENGTH && isHex(key, MONGO_ID_LENGTH)) {
            return key.substring(0, MONGO_ID_LENGTH);
        }
        return "";
    }

    /**
     * Checks a basic-auth password against its stored murmur or sha256 hash; mirrors the hashed branch of Tyk's
     * {@code BasicAuthKeyIsValid.checkPassword}, but compares in constant time where Tyk uses {@code !=}.
     */
    public static boolean passwordMatches(String storedHash, String password, String algorithm) {
        byte[] expected = storedHash.getBytes(StandardCharsets.UTF_8);
        byte[] actual = hash(password, algorithm).getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(expected, actual);
    }

    private static boolean isHex(String s, int count) {
        for (int i = 0; i < count; i++) {
            char c = s.charAt(i);
            boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!hex) {
                return false;
            }
        }
        return true;
    }

    /**
     * Go's {@code base64.StdEncoding.DecodeString}, as Tyk decodes tokens and basic-auth credentials: CR and LF are
     * skipped, padding is required.
     */
    public static Optional<byte[]> decodeStd(String s) {
        String compact = s.indexOf('\r') < 0 && s.indexOf('\n') < 0 ? s : s.replace("\r", "").replace("\n", "");
        if (compact.length() % 4 != 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(Base64.getDecoder().decode(compact));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * Like {@code jsonparser.GetString(json, field)}: the first top-level member named {@code field}, if it is a
     * string. Text after that member is not checked, as jsonparser does not check it either.
     */
    private static Optional<String> topLevelString(byte[] json, String field) {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Optional.empty();
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                boolean match = field.equals(p.getCurrentName());
                JsonToken value = p.nextToken();
                if (match) {
                    return value == JsonToken.VALUE_STRING ? Optional.of(p.getText()) : Optional.empty();
                }
                p.skipChildren();
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
