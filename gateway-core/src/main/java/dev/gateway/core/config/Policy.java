package dev.gateway.core.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One Tyk policy ({@code user/policy.go}), as {@link PolicyLoader} reads it from {@code policy_path} or
 * {@code policy_record_name}: limits, access rights and flags that keys naming it in {@code apply_policies} take on
 * when they authenticate. Field names are Tyk's.
 *
 * @param mongoId Tyk's {@code _id}, an ObjectId's 24 hex digits; the id when {@code id} is empty, as in Tyk
 * @param id what keys name in {@code apply_policies}
 * @param rate requests per {@code per} seconds; 0 or below means none
 * @param quotaMax requests per {@code quotaRenewalRate} seconds; -1 means unlimited
 * @param accessRights the APIs the policy grants, by API id, in the file's order; empty for a "master" policy that
 *     sets limits only
 * @param isInactive keys with this policy are refused ("Key is inactive, please renew")
 * @param active Tyk's dashboard flag; kept, but Tyk's gateway does not read it and neither does this one
 * @param keyExpiresIn seconds a new key lives, for the keys API
 * @param metaData copied into the key's {@code meta_data}; values may be any JSON
 * @param lastUpdated a string, compared as text, as Tyk compares it
 * @param smoothing Tyk's rate-limit smoothing settings, carried as written; {@code null} when absent
 */
public record Policy(
        @JsonProperty("_id") String mongoId,
        String id,
        String name,
        String orgId,
        double rate,
        double per,
        long quotaMax,
        long quotaRenewalRate,
        double throttleInterval,
        int throttleRetryLimit,
        int maxQueryDepth,
        Map<String, Access> accessRights,
        boolean hmacEnabled,
        boolean enableHttpSignatureValidation,
        boolean active,
        boolean isInactive,
        List<String> tags,
        long keyExpiresIn,
        String postExpiryAction,
        long postExpiryGracePeriod,
        Partitions partitions,
        String lastUpdated,
        Map<String, JsonNode> metaData,
        JsonNode smoothing) {

    public Policy {
        mongoId = mongoId == null ? "" : mongoId;
        id = id == null ? "" : id;
        name = name == null ? "" : name;
        orgId = orgId == null ? "" : orgId;
        accessRights = accessRights == null ? Map.of() : java.util.Collections.unmodifiableMap(
                new LinkedHashMap<>(accessRights));
        tags = tags == null ? List.of() : List.copyOf(tags);
        postExpiryAction = postExpiryAction == null ? "" : postExpiryAction;
        partitions = partitions == null ? new Partitions(false, false, false, false, false) : partitions;
        lastUpdated = lastUpdated == null ? "" : lastUpdated;
        metaData = metaData == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metaData));
        smoothing = smoothing == null || smoothing.isNull() ? null : smoothing;
    }

    /** This policy under another id: a {@code policy_record_name} map key wins over the policy's own field. */
    public Policy withId(String newId) {
        return new Policy(mongoId, newId, name, orgId, rate, per, quotaMax, quotaRenewalRate, throttleInterval,
                throttleRetryLimit, maxQueryDepth, accessRights, hmacEnabled, enableHttpSignatureValidation, active,
                isInactive, tags, keyExpiresIn, postExpiryAction, postExpiryGracePeriod, partitions, lastUpdated,
                metaData, smoothing);
    }

    /** The policy's own limits, as one API's limit ({@code Policy.APILimit()} in Tyk). */
    public Limit limit() {
        return new Limit(rate, per, throttleInterval, throttleRetryLimit, maxQueryDepth, quotaMax, 0, 0,
                quotaRenewalRate, smoothing);
    }

    /**
     * {@code partitions}: which parts of the policy apply. None set means all of them; {@code per_api} means each
     * API keeps its own limit, and cannot be combined with the others.
     */
    public record Partitions(boolean quota, boolean rateLimit, boolean complexity, boolean acl, boolean perApi) {

        /** Whether the policy is partitioned (Tyk's {@code Enabled()}): {@code per_api} does not count. */
        public boolean enabled() {
            return quota || rateLimit || acl || complexity;
        }
    }

    /**
     * One API in {@code access_rights}. GraphQL, JSON-RPC and MCP rights are not read (this gateway serves none of
     * them); {@link PolicyLoader} warns when a policy sets them.
     *
     * @param limit the API's own limit; {@code null} when the policy sets none
     * @param endpoints per-endpoint rate limits, carried as written
     */
    public record Access(String apiId, String apiName, List<String> versions, List<Url> allowedUrls, Limit limit,
            String allowanceScope, boolean disableIntrospection, JsonNode endpoints) {
        public Access {
            apiId = apiId == null ? "" : apiId;
            apiName = apiName == null ? "" : apiName;
            versions = versions == null ? List.of() : List.copyOf(versions);
            allowedUrls = allowedUrls == null ? List.of() : List.copyOf(allowedUrls);
            allowanceScope = allowanceScope == null ? "" : allowanceScope;
            endpoints = endpoints == null || endpoints.isNull() || endpoints.isEmpty() ? null : endpoints;
        }
    }

    /** An {@code allowed_urls} entry: a path pattern and the methods allowed on it. */
    public record Url(String url, List<String> methods) {
        public Url {
            url = url == null ? "" : url;
            methods = methods == null ? List.of() : List.copyOf(methods);
        }
    }

    /** Tyk's {@code APILimit}: a rate, a quota, throttling and a query depth. */
    public record Limit(double rate, double per, double throttleInterval, int throttleRetryLimit, int maxQueryDepth,
            long quotaMax, long quotaRenews, long quotaRemaining, long quotaRenewalRate, JsonNode smoothing) {

        public Limit {
            smoothing = smoothing == null || smoothing.isNull() ? null : smoothing;
        }

        /** Whether every number is zero (Tyk's {@code IsEmpty}); smoothing does not count, as in Tyk. */
        public boolean isEmpty() {
            return rate == 0 && per == 0 && throttleInterval == 0 && throttleRetryLimit == 0 && maxQueryDepth == 0
                    && quotaMax == 0 && quotaRenews == 0 && quotaRemaining == 0 && quotaRenewalRate == 0;
        }
    }
}
