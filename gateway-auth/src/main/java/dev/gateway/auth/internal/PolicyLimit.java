package dev.gateway.auth.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.config.Policy;
import dev.gateway.core.keys.Session;

/**
 * Tyk's {@code APILimit} while policies are merged: mutable, because the merge raises one field at a time, and also
 * used for the session's own (root) limits. {@link #setBy} is the merge's bookkeeping, never written out.
 */
final class PolicyLimit {

    private static final double NANOS_PER_SECOND = 1e9;

    double rate;
    double per;
    JsonNode smoothing;
    double throttleInterval;
    int throttleRetryLimit;
    int maxQueryDepth;
    long quotaMax;
    long quotaRenews;
    long quotaRemaining;
    long quotaRenewalRate;
    /** The policy (or API) whose merge last set this limit; empty when none. */
    String setBy = "";

    static PolicyLimit of(Policy.Limit limit) {
        PolicyLimit l = new PolicyLimit();
        if (limit != null) {
            l.rate = limit.rate();
            l.per = limit.per();
            l.smoothing = limit.smoothing();
            l.throttleInterval = limit.throttleInterval();
            l.throttleRetryLimit = limit.throttleRetryLimit();
            l.maxQueryDepth = limit.maxQueryDepth();
            l.quotaMax = limit.quotaMax();
            l.quotaRenews = limit.quotaRenews();
            l.quotaRemaining = limit.quotaRemaining();
            l.quotaRenewalRate = limit.quotaRenewalRate();
        }
        return l;
    }

    /** An access right's {@code limit} as a session stores it. */
    static PolicyLimit fromJson(JsonNode limit) {
        PolicyLimit l = new PolicyLimit();
        l.rate = limit.path("rate").asDouble(0);
        l.per = limit.path("per").asDouble(0);
        JsonNode smoothing = limit.get("smoothing");
        l.smoothing = smoothing == null || smoothing.isNull() ? null : smoothing;
        l.throttleInterval = limit.path("throttle_interval").asDouble(0);
        l.throttleRetryLimit = limit.path("throttle_retry_limit").asInt(0);
        l.maxQueryDepth = limit.path("max_query_depth").asInt(0);
        l.quotaMax = limit.path("quota_max").asLong(0);
        l.quotaRenews = limit.path("quota_renews").asLong(0);
        l.quotaRemaining = limit.path("quota_remaining").asLong(0);
        l.quotaRenewalRate = limit.path("quota_renewal_rate").asLong(0);
        return l;
    }

    /** The session's root limits. */
    static PolicyLimit root(Session session) {
        PolicyLimit l = new PolicyLimit();
        l.rate = session.rate();
        l.per = session.per();
        l.smoothing = session.smoothing();
        l.throttleInterval = session.throttleInterval();
        l.throttleRetryLimit = session.throttleRetryLimit();
        l.maxQueryDepth = session.maxQueryDepth();
        l.quotaMax = session.quotaMax();
        l.quotaRenews = session.quotaRenews();
        l.quotaRemaining = session.quotaRemaining();
        l.quotaRenewalRate = session.quotaRenewalRate();
        return l;
    }

    /** Writes these as the session's root limits. */
    void writeRoot(Session session) {
        session.rate(rate);
        session.per(per);
        session.smoothing(smoothing);
        session.throttleInterval(throttleInterval);
        session.throttleRetryLimit(throttleRetryLimit);
        session.maxQueryDepth(maxQueryDepth);
        session.quotaMax(quotaMax);
        session.quotaRenews(quotaRenews);
        session.quotaRemaining(quotaRemaining);
        session.quotaRenewalRate(quotaRenewalRate);
    }

    PolicyLimit copy() {
        PolicyLimit l = new PolicyLimit();
        l.rate = rate;
        l.per = per;
        l.smoothing = smoothing;
        l.throttleInterval = throttleInterval;
        l.throttleRetryLimit = throttleRetryLimit;
        l.maxQueryDepth = maxQueryDepth;
        l.quotaMax = quotaMax;
        l.quotaRenews = quotaRenews;
        l.quotaRemaining = quotaRemaining;
        l.quotaRenewalRate = quotaRenewalRate;
        l.setBy = setBy;
        return l;
    }

    /** Tyk's {@code IsEmpty}: every number zero and no {@code setBy}; smoothing does not count. */
    boolean isEmpty() {
        return rate == 0 && per == 0 && throttleInterval == 0 && throttleRetryLimit == 0 && maxQueryDepth == 0
                && quotaMax == 0 && quotaRenews == 0 && quotaRemaining == 0 && quotaRenewalRate == 0
                && setBy.isEmpty();
    }

    /** No rate limit, in the sense of Tyk's {@code emptyRateLimit}: rate or per is zero. */
    boolean noRate() {
        return rate == 0 || per == 0;
    }

    /** Tyk's {@code Duration}: whole nanoseconds between requests; 0 when rate or per is not positive. */
    long durationNanos() {
        return durationNanos(rate, per);
    }

    static long durationNanos(double rate, double per) {
        return per <= 0 || rate <= 0 ? 0 : (long) (NANOS_PER_SECOND * per / rate);
    }

    /** Tyk's {@code greaterThanInt64}: -1 (unlimited) is greater than everything. */
    static boolean greater(long first, long second) {
        return first == -1 || (second != -1 && first > second);
    }

    /** The quota part of a policy: the higher quota and renewal rate win, here and at the root. */
    void raiseQuota(Policy policy, PolicyLimit root) {
        if (greater(policy.quotaMax(), quotaMax)) {
            quotaMax = policy.quotaMax();
            if (greater(policy.quotaMax(), root.quotaMax)) {
                root.quotaMax = policy.quotaMax();
            }
        }
        if (policy.quotaRenewalRate() > quotaRenewalRate) {
            quotaRenewalRate = policy.quotaRenewalRate();
            if (policy.quotaRenewalRate() > root.quotaRenewalRate) {
                root.quotaRenewalRate = policy.quotaRenewalRate();
            }
        }
    }

    /** Tyk's {@code ApplyRateLimits} plus the throttle fields: the policy's rate wins where it allows more. */
    void raiseRate(Policy policy, PolicyLimit root) {
        long policyNanos = PolicyLimit.durationNanos(policy.rate(), policy.per());
        if (policy.rate() != 0 && policy.per() != 0) {
            for (PolicyLimit target : new PolicyLimit[] {this, root}) {
                if (target.noRate() || target.durationNanos() > policyNanos) {
                    target.rate = policy.rate();
                    target.per = policy.per();
                    target.smoothing = policy.smoothing();
                }
            }
        }
        if (policy.throttleRetryLimit() > throttleRetryLimit) {
            throttleRetryLimit = policy.throttleRetryLimit();
            root.throttleRetryLimit = Math.max(root.throttleRetryLimit, policy.throttleRetryLimit());
        }
        if (policy.throttleInterval() > throttleInterval) {
            throttleInterval = policy.throttleInterval();
            root.throttleInterval = Math.max(root.throttleInterval, policy.throttleInterval());
        }
    }

    /** A policy without access rights sets these (root) limits of its partitions as they are. */
    void applyMaster(Policy policy) {
        Policy.Partitions p = policy.partitions();
        boolean all = !p.enabled();
        if (all || p.rateLimit()) {
            rate = policy.rate();
            per = policy.per();
            smoothing = policy.smoothing();
            throttleInterval = policy.throttleInterval();
            throttleRetryLimit = policy.throttleRetryLimit();
        }
        if (all || p.complexity()) {
            maxQueryDepth = policy.maxQueryDepth();
        }
        if (all || p.quota()) {
            quotaMax = policy.quotaMax();
            quotaRenewalRate = policy.quotaRenewalRate();
        }
    }

    /** The limit as a session stores it, leaving out zeros as Tyk's {@code omitzero} does. */
    ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        putIfSet(node, "rate", rate);
        putIfSet(node, "per", per);
        if (smoothing != null) {
            node.set("smoothing", smoothing.deepCopy());
        }
        putIfSet(node, "throttle_interval", throttleInterval);
        putIfSet(node, "throttle_retry_limit", throttleRetryLimit);
        putIfSet(node, "max_query_depth", maxQueryDepth);
        putIfSet(node, "quota_max", quotaMax);
        putIfSet(node, "quota_renews", quotaRenews);
        putIfSet(node, "quota_remaining", quotaRemaining);
        putIfSet(node, "quota_renewal_rate", quotaRenewalRate);
        return node;
    }

    private static void putIfSet(ObjectNode node, String name, double value) {
        if (value != 0) {
            node.put(name, value);
        }
    }

    private static void putIfSet(ObjectNode node, String name, long value) {
        if (value != 0) {
            node.put(name, value);
        }
    }
}
