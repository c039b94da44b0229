package dev.gateway.auth.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.config.Policy;
import dev.gateway.core.keys.Session;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The merge of a key's policies, case by case as Tyk's own tests of {@code Service.Apply} cover them (partitions,
 * quotas, rates, ACLs, per-API limits, inactive keys, tags, errors), with policies and keys of our own.
 */
class PolicyApplierTest {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** Policies by id, each written as JSON with single quotes. */
    private static final Map<String, Policy> POLICIES = policies("""
            {
              'all-a':      {'rate': 12, 'per': 1, 'quota_max': 100, 'quota_renewal_rate': 3600,
                             'access_rights': {'a': {'api_id': 'a', 'api_name': 'A', 'versions': ['v1']}}},
              'all-b':      {'access_rights': {'b': {}}},
              'acl-a':      {'access_rights': {'a': {}}, 'partitions': {'acl': true}},
              'acl-a-b':    {'access_rights': {'a': {}, 'b': {}}, 'partitions': {'acl': true}},
              'quota-2':    {'quota_max': 2, 'access_rights': {'a': {}}, 'partitions': {'acl': true, 'quota': true}},
              'quota-3':    {'quota_max': 3, 'access_rights': {'a': {}}, 'partitions': {'acl': true, 'quota': true}},
              'quota-inf':  {'quota_max': -1, 'access_rights': {'a': {}}, 'partitions': {'acl': true, 'quota': true}},
              'quota-b':    {'quota_max': 9, 'access_rights': {'b': {}}, 'partitions': {'quota': true}},
              'rate-3':     {'rate': 3, 'per': 1, 'access_rights': {'a': {}},
                             'partitions': {'acl': true, 'rate_limit': true}},
              'rate-4':     {'rate': 4, 'per': 1, 'throttle_interval': 2, 'throttle_retry_limit': 5,
                             'access_rights': {'a': {}}, 'partitions': {'acl': true, 'rate_limit': true}},
              'rate-slow':  {'rate': 100, 'per': 60, 'access_rights': {'a': {}},
                             'partitions': {'acl': true, 'rate_limit': true}},
              'rate-only':  {'rate': 7, 'per': 1, 'access_rights': {'a': {}}, 'partitions': {'rate_limit': true}},
              'depth-2':    {'max_query_depth': 2, 'access_rights': {'a': {}},
                             'partitions': {'acl': true, 'complexity': true}},
              'depth-inf':  {'max_query_depth': -1, 'access_rights': {'a': {}},
                             'partitions': {'acl': true, 'complexity': true}},
              'master':     {'rate': 50, 'per': 10, 'quota_max': 5, 'partitions': {}},
              'urls-1':     {'access_rights': {'a': {'versions': ['v1'], 'allowed_urls': [
                               {'url': '/users', 'methods': ['GET']}, {'url': '/orgs', 'methods': ['GET']}]}}},
              'urls-2':     {'access_rights': {'a': {'versions': ['v2', 'v1'], 'allowed_urls': [
                               {'url': '/users', 'methods': ['POST', 'GET']}, {'url': '/teams', 'methods': ['PUT']}]},
                             'b': {'allowed_urls': [{'url': '/', 'methods': ['GET']}]}}},
              'per-api':    {'rate': 300, 'per': 1, 'quota_max': -1, 'partitions': {'per_api': true},
                             'access_rights': {'c': {'limit': {'rate': 20, 'per': 1, 'quota_max': 1000,
                               'quota_renewal_rate': 3600}}, 'd': {}}},
              'per-api-c':  {'partitions': {'per_api': true}, 'access_rights': {'c': {'limit': {'rate': 200,
                               'per': 1, 'quota_max': 500, 'quota_renewal_rate': 60}}}},
              'per-api-bad': {'partitions': {'per_api': true, 'quota': true}, 'access_rights': {'c': {}}},
              'inactive':   {'is_inactive': true, 'access_rights': {'a': {}}, 'partitions': {'acl': true}},
              'tags-1':     {'tags': ['t1', 'shared'], 'meta_data': {'tier': 'silver', 'n': 1},
                             'last_updated': '1700000001', 'access_rights': {'a': {}}},
              'tags-2':     {'tags': ['t2', 'shared'], 'meta_data': {'tier': 'gold'}, 'last_updated': '1600000000',
                             'access_rights': {'a': {}}},
              'other-org':  {'org_id': 'elsewhere', 'access_rights': {'a': {}}},
              'ep-1':       {'rate': 5, 'per': 1, 'access_rights': {'a': {'endpoints': [{'path': '/x', 'methods': [
                               {'name': 'GET', 'limit': {'rate': 10, 'per': 60}}]}]}}},
              'ep-2':       {'rate': 5, 'per': 1, 'access_rights': {'a': {'endpoints': [{'path': '/x', 'methods': [
                               {'name': 'GET', 'limit': {'rate': 20, 'per': 60}},
                               {'name': 'POST', 'limit': {'rate': 1, 'per': 1}}]}]}}}
            }
            """);

    private static Map<String, Policy> policies(String singleQuoted) {
        try {
            Map<String, Policy> read = JSON.readValue(singleQuoted.replace('\'', '"'),
                    new TypeReference<LinkedHashMap<String, Policy>>() { });
            Map<String, Policy> byId = new LinkedHashMap<>();
            read.forEach((id, policy) -> byId.put(id, policy.withId(id)));
            return byId;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Session session(String singleQuoted) {
        return Session.parse(singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
    }

    private static Session applied(String... ids) throws Exception {
        return applied(session("{}"), ids);
    }

    /** {@code session} naming {@code ids} in {@code apply_policies}, with them applied. */
    private static Session applied(Session session, String... ids) throws Exception {
        ObjectNode tree = (ObjectNode) JSON.readTree(session.toJson());
        tree.set("apply_policies", JSON.valueToTree(List.of(ids)));
        Session result = Session.parse(JSON.writeValueAsBytes(tree));
        new PolicyApplier(POLICIES, "").apply(result);
        return result;
    }

    private static JsonNode rights(Session session) throws Exception {
        return JSON.readTree(session.toJson()).path("access_rights");
    }

    private static String refusal(Session session, String... ids) {
        return assertThrows(PolicyApplier.Refused.class, () -> applied(session, ids)).getMessage();
    }

    // ---- which policies --------------------------------------------------------------------------------------------

    @Test
    void aKeyWithoutPoliciesKeepsItsOwnStateAndScopesItsOwnLimits() throws Exception {
        Session session = session("{'is_inactive': true, 'rate': 9, 'per': 1, 'tags': ['x', 'x', 'y'],"
                + " 'access_rights': {'a': {'api_id': 'a', 'limit': {'rate': 1, 'per': 1}}, 'b': {'api_id': 'b'}}}");
        new PolicyApplier(POLICIES, "").apply(session);

        assertTrue(session.isInactive(), "a key without policies keeps its own flag");
        assertEquals(9, session.rate());
        assertEquals(List.of("x", "y"), session.tags());
        assertEquals("a", rights(session).path("a").path("allowance_scope").asText());
        assertTrue(rights(session).path("b").path("allowance_scope").isMissingNode());
    }

    @Test
    void oneMissingPolicyIsAnErrorButOneOfSeveralIsSkipped() throws Exception {
        assertEquals("policy not found: \"nope\"", refusal(session("{}"), "nope"));
        Session session = applied("nope", "all-b");
        assertEquals(Set.of("b"), Set.copyOf(session.accessRights().keySet()));
    }

    @Test
    void theLegacyApplyPolicyIdIsReadWhenApplyPoliciesIsEmpty() throws Exception {
        Session session = session("{'apply_policy_id': 'all-b', 'apply_policies': []}");
        new PolicyApplier(POLICIES, "").apply(session);
        assertEquals(Set.of("b"), session.accessRights().keySet());
    }

    @Test
    void aPolicyIsFoundOnlyInTheKeysOrganisationAndMustBeTheApis() throws Exception {
        assertEquals("policy not found: \"other-org\"", refusal(session("{}"), "other-org"));
        assertEquals("attempting to apply policy from different organisation to key, skipping",
                refusal(session("{'org_id': 'elsewhere'}"), "other-org"));
        Session session = session("{'apply_policies': ['other-org']}");
        new PolicyApplier(POLICIES, "elsewhere").apply(session);
        assertEquals(Set.of("a"), session.accessRights().keySet(), "the API's organisation scopes a key without one");
    }

    @Test
    void aKeyLeftWithoutApisIsRefused() {
        assertEquals("key has no valid policies to be applied", refusal(session("{}"), "master"));
        assertEquals("key has no valid policies to be applied", refusal(session("{}"), "quota-b"));
        assertEquals("key has no valid policies to be applied", refusal(session("{}"), "nope", "nope-2"));
    }

    // ---- limits --------------------------------------------------------------------------------------------------

    @Test
    void anUnpartitionedPolicyGivesItsApiAndLimitsAndTheRootTakesThem() throws Exception {
        Session session = applied(session("{'rate': 1000, 'per': 1, 'quota_max': 7}"), "all-a");

        assertEquals(12, session.rate(), "the key's own rate was cleared first");
        assertEquals(1, session.per());
        assertEquals(100, session.quotaMax());
        assertEquals(3600, session.quotaRenewalRate());
        Session.AccessRight a = session.accessRight("a");
        assertEquals("A", a.apiName());
        assertEquals(List.of("v1"), a.versions());
        assertEquals(12, a.limit().rate());
        assertEquals(100, a.limit().quotaMax());
    }

    @Test
    void theHighestQuotaWinsAndUnlimitedBeatsAll() throws Exception {
        assertEquals(3, applied("quota-2", "quota-3").quotaMax());
        assertEquals(3, applied("quota-3", "quota-2").quotaMax());
        assertEquals(-1, applied("quota-2", "quota-inf", "quota-3").quotaMax());
        assertEquals(-1, applied("quota-2", "quota-inf", "quota-3").accessRight("a").limit().quotaMax());
    }

    @Test
    void theShortestIntervalBetweenRequestsWins() throws Exception {
        assertEquals(4, applied("rate-3", "rate-4").rate());
        assertEquals(4, applied("rate-4", "rate-3").rate());
        Session slow = applied("rate-slow", "rate-3");
        assertEquals(3, slow.rate(), "3/s beats 100/min");
        assertEquals(1, slow.per());
        Session session = applied(session("{'rate': 20, 'per': 1}"), "rate-4", "rate-3");
        assertEquals(4, session.rate(), "a rate partition clears the key's own rate first");
    }

    @Test
    void throttlingAndQueryDepthTakeTheHighestAndMinusOneIsUnlimited() throws Exception {
        Session session = applied("rate-3", "rate-4");
        assertEquals(2, session.throttleInterval());
        assertEquals(5, session.throttleRetryLimit());
        assertEquals(2, applied("depth-2").maxQueryDepth());
        assertEquals(-1, applied("depth-2", "depth-inf").maxQueryDepth());
    }

    @Test
    void anApiGrantedWithoutARatePartitionInheritsTheRootRate() throws Exception {
        Session session = applied("acl-a", "master");
        assertEquals(50, session.accessRight("a").limit().rate(), "from the master policy, through the root");
        assertEquals(10, session.accessRight("a").limit().per());
        assertEquals(5, session.accessRight("a").limit().quotaMax());
    }

    @Test
    void anApiOnlyAQuotaPartitionNamesIsNotGranted() throws Exception {
        Session session = applied("quota-b", "all-a");
        assertEquals(Set.of("a"), session.accessRights().keySet());
        assertEquals(100, session.quotaMax());
    }

    @Test
    void aRatePartitionWithoutAclLimitsTheApiAnotherPolicyGrantsAndTheRest() throws Exception {
        Session session = applied("acl-a-b", "rate-only");
        assertEquals(7, session.accessRight("a").limit().rate());
        assertEquals(7, session.accessRight("b").limit().rate(), "b had only its ACL: it takes the root rate");
    }

    @Test
    void endpointLimitsKeepTheHigherRatePerMethodAndPath() throws Exception {
        JsonNode endpoints = rights(applied("ep-1", "ep-2")).path("a").path("endpoints");
        assertEquals("/x", endpoints.path(0).path("path").asText());
        assertEquals("GET", endpoints.path(0).path("methods").path(0).path("name").asText());
        assertEquals(20, endpoints.path(0).path("methods").path(0).path("limit").path("rate").asInt());
        assertEquals("POST", endpoints.path(0).path("methods").path(1).path("name").asText());
    }

    @Test
    void theKeysOwnQuotaRenewalTimeIsKept() throws Exception {
        Session session = applied(session("{'access_rights': {'a': {'limit': {'quota_max': 5,"
                + " 'quota_renews': 1900000000}}}}"), "quota-3");
        assertEquals(1900000000L, session.accessRight("a").limit().quotaRenews());
    }

    // ---- access lists --------------------------------------------------------------------------------------------

    @Test
    void versionsAndAllowedUrlsAreUnionedPerApi() throws Exception {
        Session session = applied("urls-1", "urls-2");
        Session.AccessRight a = session.accessRight("a");
        assertEquals(List.of("v1", "v2"), a.versions());
        assertEquals(List.of(new Session.AllowedUrl("/users", List.of("GET", "POST")),
                new Session.AllowedUrl("/orgs", List.of("GET")), new Session.AllowedUrl("/teams", List.of("PUT"))),
                a.allowedUrls());
        assertEquals(List.of(new Session.AllowedUrl("/", List.of("GET"))), session.accessRight("b").allowedUrls());
    }

    @Test
    void policiesWithAclsReplaceTheKeysOwnRights() throws Exception {
        Session session = applied(session("{'access_rights': {'c': {'api_id': 'c'}}}"), "acl-a-b");
        assertEquals(Set.of("a", "b"), session.accessRights().keySet());
    }

    @Test
    void rightsFromSeveralAclPoliciesAreCountedPerPolicy() throws Exception {
        JsonNode rights = rights(applied("all-a", "all-b"));
        assertEquals("all-a", rights.path("a").path("allowance_scope").asText());
        assertEquals("all-b", rights.path("b").path("allowance_scope").asText());
        assertTrue(rights(applied("acl-a-b")).path("a").path("allowance_scope").isMissingNode(), "one policy");
    }

    // ---- per API -------------------------------------------------------------------------------------------------

    @Test
    void perApiPoliciesKeepEachApisOwnLimitOrTheirs() throws Exception {
        Session session = applied("per-api");
        JsonNode rights = rights(session);
        assertEquals(20, rights.path("c").path("limit").path("rate").asInt());
        assertEquals("c", rights.path("c").path("allowance_scope").asText());
        assertEquals(300, rights.path("d").path("limit").path("rate").asInt(), "the policy's own limit");
        assertEquals(-1, rights.path("d").path("limit").path("quota_max").asInt());
        assertEquals("per-api", rights.path("d").path("allowance_scope").asText());
    }

    @Test
    void perApiPoliciesOnOneApiKeepTheHigherLimits() throws Exception {
        Session session = applied("per-api", "per-api-c");
        Session.AccessRight c = session.accessRight("c");
        assertEquals(200, c.limit().rate());
        assertEquals(1000, c.limit().quotaMax());
        assertEquals(3600, c.limit().quotaRenewalRate());
    }

    @Test
    void perApiCannotBeCombinedWithPartitions() {
        assertEquals("cannot apply policy per-api-bad which has per_api and any of partitions set",
                refusal(session("{}"), "per-api-bad"));
        assertEquals(PolicyApplier.MIXED, refusal(session("{}"), "per-api", "quota-2"));
        assertEquals(PolicyApplier.MIXED, refusal(session("{}"), "rate-3", "per-api"));
    }

    // ---- flags, tags, metadata -----------------------------------------------------------------------------------

    @Test
    void anyInactivePolicyMakesTheKeyInactiveAndActiveOnesClearTheKeysOwnFlag() throws Exception {
        assertTrue(applied("acl-a", "inactive").isInactive());
        assertFalse(applied(session("{'is_inactive': true}"), "acl-a", "quota-2").isInactive());
    }

    @Test
    void tagsAreUnionedMetadataOverwrittenAndLastUpdatedTheGreatest() throws Exception {
        Session session = applied(session("{'tags': ['own'], 'meta_data': {'tier': 'free', 'mine': 'yes'},"
                + " 'last_updated': '1650000000'}"), "tags-1", "tags-2");
        assertEquals(Set.of("t1", "t2", "shared", "own"), Set.copyOf(session.tags()));
        assertEquals(4, session.tags().size());
        assertEquals(Map.of("tier", "gold", "n", "1", "mine", "yes"), session.metaData());
        assertEquals("1700000001", session.lastUpdated());
        assertNull(session.smoothing());
    }
}
