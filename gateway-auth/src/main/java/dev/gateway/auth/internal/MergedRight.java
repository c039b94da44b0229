package dev.gateway.auth.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.config.Policy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One API's access right while policies are merged (Tyk's {@code AccessDefinition}): versions and allowed URLs are
 * unioned, limits raised. Written into the session with {@link #toJson()}, zero fields left out as Tyk leaves them.
 */
final class MergedRight {

    String apiId = "";
    String apiName = "";
    final List<String> versions = new ArrayList<>();
    /** {@code allowed_urls}: URL to methods, in the order first seen. */
    final Map<String, List<String>> allowedUrls = new LinkedHashMap<>();
    PolicyLimit limit = new PolicyLimit();
    String allowanceScope = "";
    boolean disableIntrospection;
    /** Per-endpoint rate limits as Tyk writes them; {@code null} for none. */
    JsonNode endpoints;

    /** A policy's entry as it stands, for {@code per_api} policies, which take it whole. */
    static MergedRight of(Policy.Access access) {
        MergedRight right = new MergedRight();
        right.apiId = access.apiId();
        right.apiName = access.apiName();
        right.versions.addAll(access.versions());
        right.mergeUrls(access.allowedUrls());
        right.limit = PolicyLimit.of(access.limit());
        right.allowanceScope = access.allowanceScope();
        right.disableIntrospection = access.disableIntrospection();
        right.endpoints = access.endpoints();
        return right;
    }

    /** Tyk's {@code appendIfMissing}: each value not yet present is added, in order. */
    static void appendIfMissing(List<String> into, List<String> values) {
        for (String value : values) {
            if (!into.contains(value)) {
                into.add(value);
            }
        }
    }

    /**
     * Tyk's {@code MergeAllowedURLs}: a URL seen for the first time keeps its methods as written; a URL seen again
     * gains the methods it lacked.
     */
    void mergeUrls(List<Policy.Url> urls) {
        for (Policy.Url url : urls) {
            List<String> methods = allowedUrls.get(url.url());
            if (methods == null) {
                allowedUrls.put(url.url(), new ArrayList<>(url.methods()));
            } else {
                appendIfMissing(methods, url.methods());
            }
        }
    }

    /** Tyk's {@code applyAPILevelLimits}: of two per-API limits on one API, the higher ones win. */
    void keepHigherLimits(MergedRight current) {
        PolicyLimit mine = limit;
        PolicyLimit theirs = current.limit;
        boolean updated = false;
        if (mine.durationNanos() > theirs.durationNanos()) {
            mine.per = theirs.per;
            mine.rate = theirs.rate;
            mine.smoothing = theirs.smoothing;
            updated = true;
        }
        if (theirs.quotaMax != mine.quotaMax && PolicyLimit.greater(theirs.quotaMax, mine.quotaMax)) {
            mine.quotaMax = theirs.quotaMax;
            updated = true;
        }
        if (PolicyLimit.greater(theirs.quotaRenewalRate, mine.quotaRenewalRate)) {
            mine.quotaRenewalRate = theirs.quotaRenewalRate;
        }
        if (mine.quotaMax == -1) {
            mine.quotaRenewalRate = 0;
        }
        if (updated) {
            mine.setBy = theirs.setBy;
            allowanceScope = current.allowanceScope;
        }
        endpoints = EndpointLimits.merge(endpoints, current.endpoints);
    }

    /** The ACL part of a policy's entry: versions and URLs unioned; the ids kept where Tyk leaves them empty. */
    void mergeAcl(Policy.Access access) {
        if (apiId.isEmpty()) {
            apiId = access.apiId();
        }
        if (apiName.isEmpty()) {
            apiName = access.apiName();
        }
        disableIntrospection |= access.disableIntrospection();
        MergedRight.appendIfMissing(versions, access.versions());
        mergeUrls(access.allowedUrls());
    }

    ObjectNode toJson() {
        JsonNodeFactory json = JsonNodeFactory.instance;
        ObjectNode node = json.objectNode();
        if (!apiName.isEmpty()) {
            node.put("api_name", apiName);
        }
        if (!apiId.isEmpty()) {
            node.put("api_id", apiId);
        }
        if (!versions.isEmpty()) {
            ArrayNode array = node.putArray("versions");
            versions.forEach(array::add);
        }
        if (!allowedUrls.isEmpty()) {
            ArrayNode array = node.putArray("allowed_urls");
            allowedUrls.forEach((url, methods) -> {
                ObjectNode entry = array.addObject().put("url", url);
                ArrayNode list = entry.putArray("methods");
                methods.forEach(list::add);
            });
        }
        ObjectNode limitJson = limit.toJson();
        if (!limitJson.isEmpty()) {
            node.set("limit", limitJson);
        }
        if (disableIntrospection) {
            node.put("disable_introspection", true);
        }
        if (!allowanceScope.isEmpty()) {
            node.put("allowance_scope", allowanceScope);
        }
        if (endpoints != null) {
            node.set("endpoints", endpoints.deepCopy());
        }
        return node;
    }
}
