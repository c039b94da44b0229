package dev.gateway.core.keys;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A key's session, Tyk's {@code SessionState} as Tyk stores it in Redis under {@code apikey-<hash>}: rate and
 * quota, expiry, access rights per API, basic-auth data, policies, tags and metadata. The JSON is kept as it came,
 * and the accessors read and write it, so a field this gateway does not know (Tyk's {@code jwt_data},
 * {@code monitor}, a newer version's additions) survives a read and a write-back untouched, and a Tyk gateway
 * sharing the store reads what it wrote.
 *
 * <p>Not thread-safe: a session is read, changed and written by one request at a time; a store hands out copies.
 */
public final class Session {

    /** The largest session JSON accepted: Tyk's are a few kilobytes; anything far larger is a mistake or an attack. */
    public static final int MAX_JSON_BYTES = 64 * 1024;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    /** One API in {@code access_rights}. */
    public record AccessRight(String apiId, String apiName, List<String> versions, List<AllowedUrl> allowedUrls,
            Limit limit, String allowanceScope) {
        public AccessRight {
            apiId = apiId == null ? "" : apiId;
            apiName = apiName == null ? "" : apiName;
            versions = versions == null ? List.of() : List.copyOf(versions);
            allowedUrls = allowedUrls == null ? List.of() : List.copyOf(allowedUrls);
            allowanceScope = allowanceScope == null ? "" : allowanceScope;
        }
    }

    /** An {@code allowed_urls} entry: a path pattern and the methods allowed on it. */
    public record AllowedUrl(String url, List<String> methods) {
        public AllowedUrl {
            url = url == null ? "" : url;
            methods = methods == null ? List.of() : List.copyOf(methods);
        }
    }

    /** A per-API {@code limit}: the rate and quota that apply to this key on that API. */
    public record Limit(double rate, double per, long quotaMax, long quotaRemaining, long quotaRenewalRate,
            long quotaRenews) {

        /** Tyk's {@code APILimit.IsEmpty}: nothing set, so the session's own limits apply. */
        public boolean isEmpty() {
            return rate == 0 && per == 0 && quotaMax == 0 && quotaRenewalRate == 0 && quotaRemaining == 0
                    && quotaRenews == 0;
        }
    }

    /**
     * {@code basic_auth_data}: the password and how it is stored. {@code hashType} is Tyk's {@code hash_type}: empty
     * for the password in plain text (Tyk's {@code HashPlainText}), {@code sha256} or a murmur for those hashes, and
     * {@code bcrypt} (or any other value) for bcrypt.
     */
    public record BasicAuthData(String password, String hashType) {
        public BasicAuthData {
            password = password == null ? "" : password;
            hashType = hashType == null ? "" : hashType;
        }
    }

    private final ObjectNode json;
    /**
     * The last {@link #accessRight} asked for, read once: the access chain asks for the same API's rights in three
     * filters a request, and reading an entry into its record is the dearest thing they do. Only
     * {@link #accessRights(ObjectNode)} changes {@code access_rights}, and it forgets what was read; a {@link #copy}
     * shares it.
     */
    private String rightApiId;
    private AccessRight right;

    private Session(ObjectNode json) {
        this.json = json;
    }

    /** An empty session, as Tyk's zero value: no rate, no quota, never expires. */
    public static Session empty() {
        return new Session(JSON.createObjectNode());
    }

    /**
     * Reads a session as Tyk writes it.
     *
     * @throws IllegalArgumentException when it is larger than {@link #MAX_JSON_BYTES}, not JSON, or not an object
     */
    public static Session parse(byte[] bytes) {
        if (bytes.length > MAX_JSON_BYTES) {
            throw new IllegalArgumentException("a session of " + bytes.length + " bytes is over the limit of "
                    + MAX_JSON_BYTES);
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("a session is not JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("a session cannot be read: " + e.getMessage(), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException("a session is a JSON object");
        }
        return new Session((ObjectNode) tree);
    }

    /** The session as JSON, unknown fields included, for the store. */
    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree that cannot be written", e);
        }
    }

    /** A copy, changed without changing this one. */
    public Session copy() {
        Session copy = new Session(json.deepCopy());
        copy.rightApiId = rightApiId;
        copy.right = right;
        return copy;
    }

    // ---- rate and quota -------------------------------------------------------------------------------------------

    /** Requests allowed per {@link #per()} seconds; 0 with {@code per} 0 means no limit, as in Tyk. */
    public double rate() {
        return json.path("rate").asDouble(0);
    }

    public double per() {
        return json.path("per").asDouble(0);
    }

    public long quotaMax() {
        return json.path("quota_max").asLong(0);
    }

    public long quotaRemaining() {
        return json.path("quota_remaining").asLong(0);
    }

    public void quotaRemaining(long remaining) {
        json.put("quota_remaining", remaining);
    }

    public void rate(double rate) {
        json.put("rate", rate);
    }

    public void per(double per) {
        json.put("per", per);
    }

    public void quotaMax(long quotaMax) {
        json.put("quota_max", quotaMax);
    }

    public void quotaRenewalRate(long seconds) {
        json.put("quota_renewal_rate", seconds);
    }

    /** Seconds between retries of a rate-limited request. */
    public double throttleInterval() {
        return json.path("throttle_interval").asDouble(0);
    }

    public void throttleInterval(double seconds) {
        json.put("throttle_interval", seconds);
    }

    public int throttleRetryLimit() {
        return json.path("throttle_retry_limit").asInt(0);
    }

    public void throttleRetryLimit(int retries) {
        json.put("throttle_retry_limit", retries);
    }

    /** GraphQL query depth; -1 means unlimited. */
    public int maxQueryDepth() {
        return json.path("max_query_depth").asInt(0);
    }

    public void maxQueryDepth(int depth) {
        json.put("max_query_depth", depth);
    }

    /** Tyk's rate-limit {@code smoothing} settings, as written; {@code null} when absent. */
    public JsonNode smoothing() {
        JsonNode smoothing = json.get("smoothing");
        return smoothing == null || smoothing.isNull() ? null : smoothing.deepCopy();
    }

    /** @param smoothing {@code null} removes them */
    public void smoothing(JsonNode smoothing) {
        if (smoothing == null) {
            json.remove("smoothing");
        } else {
            json.set("smoothing", smoothing.deepCopy());
        }
    }

    /** Seconds between quota renewals. */
    public long quotaRenewalRate() {
        return json.path("quota_renewal_rate").asLong(0);
    }

    /** Unix seconds of the next renewal. */
    public long quotaRenews() {
        return json.path("quota_renews").asLong(0);
    }

    public void quotaRenews(long unixSeconds) {
        json.put("quota_renews", unixSeconds);
    }

    // ---- life -----------------------------------------------------------------------------------------------------

    /** Unix seconds after which the key is expired; below 1 means never, as in Tyk. */
    public long expires() {
        return json.path("expires").asLong(0);
    }

    /** Whether the key has expired at {@code nowSeconds}. */
    public boolean isExpired(long nowSeconds) {
        long expires = expires();
        return expires >= 1 && nowSeconds > expires;
    }

    public boolean isInactive() {
        return json.path("is_inactive").asBoolean(false);
    }

    public void inactive(boolean inactive) {
        json.put("is_inactive", inactive);
    }

    /** When the key (or a policy it took on) last changed: text, compared as text, as Tyk does. */
    public String lastUpdated() {
        return json.path("last_updated").asText("");
    }

    public void lastUpdated(String lastUpdated) {
        json.put("last_updated", lastUpdated);
    }

    public boolean hmacEnabled() {
        return json.path("hmac_enabled").asBoolean(false);
    }

    public void hmacEnabled(boolean enabled) {
        json.put("hmac_enabled", enabled);
    }

    public boolean enableHttpSignatureValidation() {
        return json.path("enable_http_signature_validation").asBoolean(false);
    }

    public void enableHttpSignatureValidation(boolean enabled) {
        json.put("enable_http_signature_validation", enabled);
    }

    public void postExpiryAction(String action) {
        json.put("post_expiry_action", action);
    }

    public void postExpiryGracePeriod(long seconds) {
        json.put("post_expiry_grace_period", seconds);
    }

    // ---- who it is ------------------------------------------------------------------------------------------------

    public String orgId() {
        return json.path("org_id").asText("");
    }

    public String alias() {
        return json.path("alias").asText("");
    }

    public List<String> applyPolicies() {
        return strings(json.path("apply_policies"));
    }

    /**
     * The policies the key takes on: {@code apply_policies}, else the legacy {@code apply_policy_id}, as Tyk's
     * {@code PolicyIDs}; empty for none.
     */
    public List<String> policyIds() {
        List<String> ids = applyPolicies();
        if (!ids.isEmpty()) {
            return ids;
        }
        String legacy = json.path("apply_policy_id").asText("");
        return legacy.isEmpty() ? List.of() : List.of(legacy);
    }

    public List<String> tags() {
        return strings(json.path("tags"));
    }

    public void tags(List<String> tags) {
        json.set("tags", JSON.valueToTree(tags));
    }

    /** Sets one {@code meta_data} entry to any JSON value, creating {@code meta_data} when needed. */
    public void metaData(String key, JsonNode value) {
        JsonNode meta = json.get("meta_data");
        ObjectNode object = meta instanceof ObjectNode o ? o : json.putObject("meta_data");
        object.set(key, value.deepCopy());
    }

    /** {@code meta_data} with each value as text (Tyk's values may be any JSON); empty for none. */
    public Map<String, String> metaData() {
        JsonNode meta = json.path("meta_data");
        if (!meta.isObject()) {
            return Map.of();
        }
        Map<String, String> values = new LinkedHashMap<>();
        meta.fields().forEachRemaining(e -> values.put(e.getKey(),
                e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
        return Collections.unmodifiableMap(values);
    }

    /** {@code basic_auth_data}; its password is empty when the key has none. */
    public BasicAuthData basicAuthData() {
        JsonNode data = json.path("basic_auth_data");
        return new BasicAuthData(data.path("password").asText(""), data.path("hash_type").asText(""));
    }

    // ---- access rights --------------------------------------------------------------------------------------------

    /** {@code access_rights} by API id, in the session's order; empty for a key with none. */
    public Map<String, AccessRight> accessRights() {
        JsonNode rights = json.path("access_rights");
        if (!rights.isObject()) {
            return Map.of();
        }
        Map<String, AccessRight> result = new LinkedHashMap<>();
        rights.fields().forEachRemaining(e -> result.put(e.getKey(), accessRight(e.getValue())));
        return Collections.unmodifiableMap(result);
    }

    /** Whether {@code access_rights} names any API: a key without is a master key, allowed everywhere. */
    public boolean hasAccessRights() {
        JsonNode rights = json.path("access_rights");
        return rights.isObject() && !rights.isEmpty();
    }

    /** {@code access_rights} as JSON, every field included: a copy, empty for a key with none. */
    public ObjectNode accessRightsTree() {
        JsonNode rights = json.path("access_rights");
        return rights.isObject() ? ((ObjectNode) rights).deepCopy() : JSON.createObjectNode();
    }

    /** Replaces {@code access_rights} with a copy of {@code rights}. */
    public void accessRights(ObjectNode rights) {
        json.set("access_rights", rights.deepCopy());
        rightApiId = null;
        right = null;
    }

    /** The rights on {@code apiId}; {@code null} when the key has none there. */
    public AccessRight accessRight(String apiId) {
        if (apiId.equals(rightApiId)) {
            return right;
        }
        JsonNode node = json.path("access_rights").path(apiId);
        AccessRight read = node.isObject() ? accessRight(node) : null;
        rightApiId = apiId;
        right = read;
        return read;
    }

    private static AccessRight accessRight(JsonNode node) {
        try {
            return JSON.treeToValue(node, AccessRight.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("access_rights entry is malformed: " + e.getOriginalMessage(), e);
        }
    }

    // ---- written by the keys API ----------------------------------------------------------------------------------

    /** Sets {@code expires}, Unix seconds; 0 for never. */
    public void expires(long unixSeconds) {
        json.put("expires", unixSeconds);
    }

    /** Sets {@code last_updated}, Tyk's Unix seconds as text. */
    public void lastUpdated(long unixSeconds) {
        json.put("last_updated", Long.toString(unixSeconds));
    }

    /** Whether the key is a basic-auth user's: it has a password. */
    public boolean isBasicAuth() {
        return !basicAuthData().password().isEmpty();
    }

    /** Sets {@code basic_auth_data}. */
    public void basicAuthData(BasicAuthData data) {
        ObjectNode node = json.putObject("basic_auth_data");
        node.put("password", data.password());
        node.put("hash_type", data.hashType());
    }

    /** Empties the password of {@code basic_auth_data}, for a session shown through the API. */
    public void hidePassword() {
        if (json.path("basic_auth_data").isObject()) {
            ((ObjectNode) json.get("basic_auth_data")).put("password", "");
        }
    }

    private static List<String> strings(JsonNode array) {
        if (!array.isArray()) {
            return List.of();
        }
        List<String> values = new ArrayList<>(array.size());
        array.forEach(value -> values.add(value.asText()));
        return List.copyOf(values);
    }
}
