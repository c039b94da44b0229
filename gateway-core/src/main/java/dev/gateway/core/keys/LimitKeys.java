package dev.gateway.core.keys;

/**
 * Tyk's names for the counters of a key's limits, so that a Tyk gateway sharing the Redis counts the same requests:
 * {@code rate-limit-[<scope>-]<key>} and {@code quota-[<scope>-]<key>}, where the key is its hash when
 * {@code hash_keys} is on and the scope names the API (or policy) a per-API limit belongs to. Empty parts are left
 * out, and a part's own leading and trailing dashes dropped, as Tyk's {@code rate.Prefix} joins them.
 */
public final class LimitKeys {

    public static final String RATE_LIMIT_PREFIX = "rate-limit-";
    public static final String QUOTA_PREFIX = "quota-";
    /** Tyk's name for an API's own limit ({@code global_rate_limit}), before its org and API id. */
    public static final String API_LIMITER_PREFIX = "apilimiter-";

    private LimitKeys() {
    }

    /**
     * The rate-limit counter of {@code key}.
     *
     * @param key the key as the client sent it (its storage name when found by another form)
     * @param scope the access right's {@code allowance_scope}, or empty
     */
    public static String rateLimit(String key, String scope, boolean hashKeys) {
        return join("rate-limit", scope, hashed(key, hashKeys));
    }

    /** The quota counter of {@code key}; see {@link #rateLimit}. */
    public static String quota(String key, String scope, boolean hashKeys) {
        return QUOTA_PREFIX + join(scope, hashed(key, hashKeys));
    }

    /** The counter of an API's own limit, shared by every client of the API: Tyk's {@code apilimiter-<org><api>}. */
    public static String apiLimit(String orgId, String apiId, boolean hashKeys) {
        return RATE_LIMIT_PREFIX + KeyHashing.storageName(API_LIMITER_PREFIX + orgId + apiId, hashKeys);
    }

    private static String hashed(String key, boolean hashKeys) {
        return KeyHashing.storageName(key, hashKeys);
    }

    private static String join(String... parts) {
        StringBuilder out = new StringBuilder();
        for (String part : parts) {
            String trimmed = trimDashes(part);
            if (!trimmed.isEmpty()) {
                if (out.length() > 0) {
                    out.append('-');
                }
                out.append(trimmed);
            }
        }
        return out.toString();
    }

    private static String trimDashes(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && s.charAt(from) == '-') {
            from++;
        }
        while (to > from && s.charAt(to - 1) == '-') {
            to--;
        }
        return s.substring(from, to);
    }
}
