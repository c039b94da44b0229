package dev.gateway.auth.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.config.Policy;
import dev.gateway.core.keys.Session;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Merges the policies a key names ({@code apply_policies}, or the legacy {@code apply_policy_id}) into its session,
 * as Tyk's {@code Service.Apply} (internal/policy/apply.go) does on every authenticated request:
 *
 * <ul>
 *   <li>A policy applies its partitions ({@code quota}, {@code rate_limit}, {@code acl}, {@code complexity}), or
 *       all of them when none is set. The session's root limits of each partition a policy covers are cleared
 *       first.
 *   <li>ACL: versions and {@code allowed_urls} are unioned per API (per URL, methods unioned). Quota: the highest
 *       {@code quota_max} wins, -1 (unlimited) above all; the highest renewal rate wins. Rate: the shortest interval
 *       between requests ({@code per / rate}) wins, and a missing one is always replaced. Throttle and query depth:
 *       the highest. Per-endpoint limits: the higher rate.
 *   <li>{@code per_api} policies give each API its own limit (or the policy's, when it names none); several naming
 *       one API keep the higher limits. A {@code per_api} policy with partitions, or mixed with partitioned ones,
 *       is an error.
 *   <li>APIs that no policy granted (ACL) are dropped; when any policy granted APIs, they replace the key's
 *       {@code access_rights}. APIs without a merged rate, quota or depth take the session's. When exactly one API
 *       got limits, the root limits are copied from it.
 *   <li>{@code is_inactive} is the OR of the policies' (the key's own is ignored once it names policies);
 *       {@code tags} the union; {@code meta_data} entries overwritten by later policies; {@code last_updated} the
 *       greatest.
 * </ul>
 *
 * Errors, each making the key count as not found: one named policy that does not exist (of several, a missing
 * one is skipped), a policy of another organisation than the API's, a key left without any API. A policy is found
 * only in the key's organisation, or the API's when the key has none, as Tyk scopes its store.
 *
 * <p>Differences from Tyk: GraphQL, JSON-RPC and MCP rights are not merged (this gateway serves none of them);
 * custom policies inside a key's {@code meta_data.policies} are not read; a merged right keeps the
 * {@code api_id} and {@code api_name} its policy wrote (Tyk's merge leaves them empty); maps keep the order they
 * were written in where Tyk's order is random.
 */
public final class PolicyApplier {

    /** Why policies could not be applied; the request is refused as with an unknown key. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** What the merge has done so far, per API (Tyk's {@code applyStatus}). */
    private static final class State {
        final Set<String> didQuota = new LinkedHashSet<>();
        final Set<String> didRateLimit = new LinkedHashSet<>();
        final Set<String> didAcl = new LinkedHashSet<>();
        final Set<String> didComplexity = new LinkedHashSet<>();
        boolean didPerApi;
        boolean didPartition;
    }

    static final String MIXED = "cannot apply multiple policies when some have per_api set and some are partitioned";

    private final Map<String, Policy> policies;
    private final String apiOrgId;

    /**
     * @param policies the loaded policies by id
     * @param apiOrgId the organisation of the API being called
     */
    public PolicyApplier(Map<String, Policy> policies, String apiOrgId) {
        this.policies = policies;
        this.apiOrgId = apiOrgId;
    }

    /** Applies the session's policies to it, in place. */
    public void apply(Session session) throws Refused {
        List<String> ids = session.policyIds();
        ObjectNode sessionRights = session.accessRightsTree();
        if (ids.isEmpty()) {
            withoutPolicies(session, sessionRights);
            return;
        }
        String scopeOrg = session.orgId().isEmpty() ? apiOrgId : session.orgId();
        PolicyLimit root = PolicyLimit.root(session);
        clear(ids, scopeOrg, root);
        State state = new State();
        Map<String, MergedRight> rights = new LinkedHashMap<>();
        Set<String> tags = new LinkedHashSet<>();
        boolean inactive = false; // once a key names policies, only theirs counts, as in Tyk
        for (String id : ids) {
            Policy policy = find(id, scopeOrg);
            if (policy == null) {
                if (ids.size() > 1) {
                    continue;
                }
                throw new Refused("policy not found: \"" + id + "\"");
            }
            if (!policy.orgId().equals(apiOrgId)) {
                throw new Refused("attempting to apply policy from different organisation to key, skipping");
            }
            if (policy.partitions().perApi() && policy.partitions().enabled()) {
                throw new Refused("cannot apply policy " + policy.id() + " which has per_api and any of partitions"
                        + " set");
            }
            if (policy.partitions().perApi()) {
                applyPerApi(policy, sessionRights, rights, state);
            } else {
                applyPartitions(policy, session, root, sessionRights, rights, state);
            }
            inactive |= policy.isInactive();
            tags.addAll(policy.tags());
            policy.metaData().forEach(session::metaData);
            if (policy.lastUpdated().compareTo(session.lastUpdated()) > 0) {
                session.lastUpdated(policy.lastUpdated());
            }
            if (!policy.postExpiryAction().isEmpty()) {
                session.postExpiryAction(policy.postExpiryAction());
            }
            if (policy.postExpiryGracePeriod() != 0) {
                session.postExpiryGracePeriod(policy.postExpiryGracePeriod());
            }
        }
        session.inactive(inactive);
        tags.addAll(session.tags());
        session.tags(List.copyOf(tags));
        finish(root, rights, state);
        root.writeRoot(session);
        if (!state.didAcl.isEmpty()) {
            ObjectNode merged = sessionRights.objectNode();
            rights.forEach((api, right) -> merged.set(api, right.toJson()));
            session.accessRights(merged);
        }
        if (rights.isEmpty()) {
            throw new Refused("key has no valid policies to be applied");
        }
    }

    /** The policy {@code id} in {@code org}; {@code null} when there is none. */
    private Policy find(String id, String org) {
        Policy policy = policies.get(id);
        return policy != null && policy.orgId().equals(org) ? policy : null;
    }

    /**
     * Tyk's {@code ClearSession}: the root limits of each partition a policy covers are zeroed, so that a policy's
     * lower value can win. As in Tyk, clearing stops at the first policy that does not exist.
     */
    private void clear(List<String> ids, String scopeOrg, PolicyLimit root) {
        for (String id : ids) {
            Policy policy = find(id, scopeOrg);
            if (policy == null) {
                return;
            }
            Policy.Partitions p = policy.partitions();
            boolean all = !p.enabled();
            if (p.quota() || all) {
                root.quotaMax = 0;
                root.quotaRemaining = 0;
            }
            if (p.rateLimit() || all) {
                root.rate = 0;
                root.per = 0;
                root.smoothing = null;
                root.throttleRetryLimit = 0;
                root.throttleInterval = 0;
            }
            if (p.complexity() || all) {
                root.maxQueryDepth = 0;
            }
        }
    }

    /**
     * A key without policies keeps what it has; as in Tyk, its tags lose duplicates, and each right with its own
     * limit is counted apart, under its API id.
     */
    private static void withoutPolicies(Session session, ObjectNode sessionRights) {
        List<String> tags = session.tags();
        Set<String> distinct = new LinkedHashSet<>(tags);
        if (distinct.size() != tags.size()) {
            session.tags(List.copyOf(distinct));
        }
        boolean changed = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = sessionRights.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (entry.getValue() instanceof ObjectNode right
                    && !PolicyLimit.fromJson(right.path("limit")).isEmpty()) {
                right.put("allowance_scope", entry.getKey());
                changed = true;
            }
        }
        if (changed) {
            session.accessRights(sessionRights);
        }
    }

    private static PolicyLimit sessionLimit(ObjectNode sessionRights, String api) {
        JsonNode right = sessionRights.get(api);
        return right == null || !right.isObject() ? null : PolicyLimit.fromJson(right.path("limit"));
    }

    /** Tyk's {@code applyPerAPI}. */
    private static void applyPerApi(Policy policy, ObjectNode sessionRights, Map<String, MergedRight> rights,
            State state) throws Refused {
        if (state.didPartition) {
            throw new Refused(MIXED);
        }
        for (Map.Entry<String, Policy.Access> entry : policy.accessRights().entrySet()) {
            String api = entry.getKey();
            MergedRight right = MergedRight.of(entry.getValue());
            String scope = api;
            if (right.limit.isEmpty()) {
                scope = policy.id();
                right.limit = PolicyLimit.of(policy.limit());
            }
            right.allowanceScope = scope;
            right.limit.setBy = scope;
            PolicyLimit own = sessionLimit(sessionRights, api);
            if (own != null && !own.isEmpty()) {
                right.limit.quotaRenews = own.quotaRenews;
            }
            if (sessionRights.path(api).path("disable_introspection").asBoolean(false)) {
                right.disableIntrospection = true;
            }
            MergedRight current = rights.get(api);
            if (current != null) {
                right.keepHigherLimits(current);
            }
            rights.put(api, right);
            state.didAcl.add(api);
            state.didQuota.add(api);
            state.didRateLimit.add(api);
            state.didComplexity.add(api);
        }
        if (!policy.accessRights().isEmpty()) {
            state.didPerApi = true;
        }
    }

    /** Tyk's {@code applyPartitions}: one policy that is partitioned, or applies as a whole. */
    private static void applyPartitions(Policy policy, Session session, PolicyLimit root, ObjectNode sessionRights,
            Map<String, MergedRight> rights, State state) throws Refused {
        Policy.Partitions p = policy.partitions();
        boolean all = !p.enabled();
        if (p.enabled() && state.didPerApi) {
            throw new Refused(MIXED);
        }
        for (Map.Entry<String, Policy.Access> entry : policy.accessRights().entrySet()) {
            String api = entry.getKey();
            Policy.Access access = entry.getValue();
            MergedRight right = rights.computeIfAbsent(api, k -> new MergedRight());
            if (all || p.acl()) {
                state.didAcl.add(api);
                right.mergeAcl(access);
                right.limit.setBy = policy.id();
            }
            if (all || p.quota()) {
                state.didQuota.add(api);
                right.limit.raiseQuota(policy, root);
            }
            if (all || p.rateLimit()) {
                state.didRateLimit.add(api);
                right.limit.raiseRate(policy, root);
                right.endpoints = EndpointLimits.merge(access.endpoints(), right.endpoints);
            }
            if (all || p.complexity()) {
                state.didComplexity.add(api);
                if (greater(policy.maxQueryDepth(), right.limit.maxQueryDepth)) {
                    right.limit.maxQueryDepth = policy.maxQueryDepth();
                    if (greater(policy.maxQueryDepth(), root.maxQueryDepth)) {
                        root.maxQueryDepth = policy.maxQueryDepth();
                    }
                }
            }
            PolicyLimit own = sessionLimit(sessionRights, api);
            if (own != null && !own.isEmpty()) {
                right.limit.quotaRenews = own.quotaRenews;
            }
        }
        if (policy.accessRights().isEmpty()) {
            root.applyMaster(policy);
        }
        session.hmacEnabled(session.hmacEnabled() || policy.hmacEnabled());
        session.enableHttpSignatureValidation(session.enableHttpSignatureValidation()
                || policy.enableHttpSignatureValidation());
        state.didPartition = p.enabled();
    }

    private static boolean greater(int first, int second) {
        return PolicyLimit.greater(first, second);
    }

    /**
     * The end of Tyk's {@code Apply}: rights no policy granted are dropped, the others take the root limits they
     * did not get, rights of several ACL policies are counted per policy, and a single API's limits become the
     * root's.
     */
    private static void finish(PolicyLimit root, Map<String, MergedRight> rights, State state) {
        Set<String> distinctAcl = new LinkedHashSet<>();
        rights.values().forEach(r -> {
            if (!r.limit.setBy.isEmpty()) {
                distinctAcl.add(r.limit.setBy);
            }
        });
        rights.keySet().removeIf(api -> !state.didAcl.contains(api));
        rights.forEach((api, right) -> {
            PolicyLimit limit = right.limit;
            if (!state.didRateLimit.contains(api)) {
                limit.rate = root.rate;
                limit.per = root.per;
                limit.smoothing = root.smoothing;
                limit.throttleInterval = root.throttleInterval;
                limit.throttleRetryLimit = root.throttleRetryLimit;
                right.endpoints = null;
            }
            if (!state.didComplexity.contains(api)) {
                limit.maxQueryDepth = root.maxQueryDepth;
            }
            if (!state.didQuota.contains(api)) {
                limit.quotaMax = root.quotaMax;
                limit.quotaRenewalRate = root.quotaRenewalRate;
                limit.quotaRenews = root.quotaRenews;
            }
            if (distinctAcl.size() > 1 && right.allowanceScope.isEmpty() && !limit.setBy.isEmpty()) {
                right.allowanceScope = limit.setBy;
            }
            limit.setBy = "";
        });
        if (state.didQuota.size() == 1 && state.didRateLimit.size() == 1 && state.didComplexity.size() == 1) {
            for (MergedRight right : rights.values()) {
                root.rate = right.limit.rate;
                root.per = right.limit.per;
                root.smoothing = right.limit.smoothing;
                root.quotaMax = right.limit.quotaMax;
                root.quotaRenews = right.limit.quotaRenews;
                root.quotaRenewalRate = right.limit.quotaRenewalRate;
                root.maxQueryDepth = right.limit.maxQueryDepth;
            }
        }
    }
}
