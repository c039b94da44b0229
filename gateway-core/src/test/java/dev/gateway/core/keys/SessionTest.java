package dev.gateway.core.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tyk's session JSON read, changed and written back with nothing it holds lost. */
class SessionTest {

    /** The session shape Tyk's Gateway API documents for POST /tyk/keys, with fields this gateway never reads. */
    private static final String TYK_SESSION = """
            {
              "alias": "my-app",
              "allowance": 1000,
              "rate": 1000,
              "per": 60,
              "throttle_interval": -1,
              "throttle_retry_limit": -1,
              "expires": 1893456000,
              "quota_max": 10000,
              "quota_renews": 1700000000,
              "quota_remaining": 9999,
              "quota_renewal_rate": 3600,
              "org_id": "5e9d9544a1dcd60001d0ed20",
              "is_inactive": false,
              "apply_policies": ["gold"],
              "tags": ["team-a"],
              "meta_data": {"plan": "gold", "seats": 5},
              "basic_auth_data": {"password": "$2a$10$abc", "hash_type": ""},
              "jwt_data": {"secret": "kept"},
              "monitor": {"trigger_limits": [80, 90]},
              "access_rights": {
                "greeter": {
                  "api_id": "greeter",
                  "api_name": "Greeter",
                  "versions": ["Default"],
                  "allowed_urls": [{"url": "/helloworld.Greeter/SayHello", "methods": ["POST"]}],
                  "limit": {"rate": 10, "per": 1, "quota_max": -1, "quota_remaining": 0, "quota_renewal_rate": 0,
                            "quota_renews": 0, "throttle_interval": -1},
                  "restricted_types": []
                }
              }
            }""";

    private static Session tyk() {
        return Session.parse(TYK_SESSION.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsTyksFields() {
        Session session = tyk();
        assertEquals(1000, session.rate());
        assertEquals(60, session.per());
        assertEquals(10000, session.quotaMax());
        assertEquals(9999, session.quotaRemaining());
        assertEquals(3600, session.quotaRenewalRate());
        assertEquals(1893456000L, session.expires());
        assertFalse(session.isInactive());
        assertEquals("5e9d9544a1dcd60001d0ed20", session.orgId());
        assertEquals("my-app", session.alias());
        assertEquals(List.of("gold"), session.applyPolicies());
        assertEquals(List.of("team-a"), session.tags());
        assertEquals(Map.of("plan", "gold", "seats", "5"), session.metaData());
        assertEquals(new Session.BasicAuthData("$2a$10$abc", ""), session.basicAuthData(),
                "an empty hash_type is plain text in Tyk");
        Session.AccessRight greeter = session.accessRight("greeter");
        assertEquals("Greeter", greeter.apiName());
        assertEquals(List.of(new Session.AllowedUrl("/helloworld.Greeter/SayHello", List.of("POST"))),
                greeter.allowedUrls());
        assertEquals(10, greeter.limit().rate());
        assertEquals(-1, greeter.limit().quotaMax());
        assertNull(session.accessRight("other"));
    }

    @Test
    void accessRightsAskedAgainAnswerTheSameOnAnyApiAndInCopies() {
        Session session = tyk();
        Session.AccessRight greeter = session.accessRight("greeter");
        assertEquals(greeter, session.accessRight("greeter"));
        assertNull(session.accessRight("other"));
        assertNull(session.accessRight("other"));
        assertEquals(greeter, session.accessRight("greeter"));
        Session copy = session.copy();
        assertEquals(greeter, copy.accessRight("greeter"));
        assertNull(copy.accessRight("other"));
        assertTrue(session.hasAccessRights());
        assertFalse(Session.empty().hasAccessRights());
        assertFalse(Session.parse("{\"access_rights\": {}}".getBytes(StandardCharsets.UTF_8)).hasAccessRights());
        session.accessRights(Session.parse("{\"access_rights\": {\"other\": {\"api_id\": \"other\"}}}"
                .getBytes(StandardCharsets.UTF_8)).accessRightsTree());
        assertNull(session.accessRight("greeter"), "rights replaced are read anew");
        assertEquals("other", session.accessRight("other").apiId());
    }

    @Test
    void writingBackKeepsWhatItDoesNotKnow() throws Exception {
        Session session = tyk();
        session.quotaRemaining(42);
        ObjectMapper json = new ObjectMapper();
        JsonNode written = json.readTree(session.toJson());
        JsonNode original = json.readTree(TYK_SESSION);
        assertEquals(42, written.get("quota_remaining").asLong());
        assertEquals(original.get("jwt_data"), written.get("jwt_data"));
        assertEquals(original.get("monitor"), written.get("monitor"));
        assertEquals(original.at("/access_rights/greeter/restricted_types"),
                written.at("/access_rights/greeter/restricted_types"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) original).put("quota_remaining", 42);
        assertEquals(original, written, "nothing else changed");
    }

    @Test
    void expiryBelowOneMeansNever() {
        assertFalse(Session.empty().isExpired(Long.MAX_VALUE));
        Session session = tyk();
        assertFalse(session.isExpired(1893456000L));
        assertTrue(session.isExpired(1893456001L));
    }

    @Test
    void refusesWhatIsNotASession() {
        assertThrows(IllegalArgumentException.class, () -> Session.parse("[1]".getBytes(StandardCharsets.UTF_8)));
        assertThrows(IllegalArgumentException.class, () -> Session.parse("{".getBytes(StandardCharsets.UTF_8)));
        byte[] huge = ("{\"alias\": \"" + "x".repeat(Session.MAX_JSON_BYTES) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Session.parse(huge));
        assertTrue(e.getMessage().contains("over the limit"), e.getMessage());
    }

    @Test
    void aCopyChangesAlone() {
        Session session = tyk();
        Session copy = session.copy();
        copy.quotaRemaining(1);
        assertEquals(9999, session.quotaRemaining());
    }
}
