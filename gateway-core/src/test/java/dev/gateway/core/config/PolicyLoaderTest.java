package dev.gateway.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyLoaderTest {

    @TempDir
    Path dir;

    private final List<LoadProblem> problems = new ArrayList<>();

    private Path write(String relative, String text) throws IOException {
        Path path = dir.resolve(relative);
        Files.createDirectories(path.getParent());
        return Files.writeString(path, text);
    }

    private Map<String, Policy> load(String source, String path, String record) {
        return PolicyLoader.load(new AuthSettings.Policies(source, path, record), dir.resolve("tyk.conf"), problems);
    }

    @Test
    void aFolderHoldsOnePolicyPerJsonFileResolvedAgainstTheConfFolder() throws Exception {
        write("policies/gold.json", """
                {"id": "gold", "name": "Gold", "org_id": "o", "rate": 100, "per": 60, "quota_max": -1,
                 "quota_renewal_rate": 3600, "throttle_interval": 1.5, "throttle_retry_limit": 3,
                 "access_rights": {"api": {"api_id": "api", "api_name": "API", "versions": ["Default"],
                   "allowed_urls": [{"url": "/users", "methods": ["GET"]}],
                   "limit": {"rate": 5, "per": 1, "quota_max": 10}}},
                 "partitions": {"quota": true, "rate_limit": false, "acl": true, "per_api": false},
                 "is_inactive": false, "active": true, "tags": ["t1"], "meta_data": {"tier": "gold", "n": 3},
                 "key_expires_in": 86400, "last_updated": "1700000000", "unknown_field": {"kept": "ignored"}}
                """);
        write("policies/notes.txt", "not a policy");

        Map<String, Policy> policies = load("file", "policies", "");

        assertEquals(List.of(), problems);
        Policy gold = policies.get("gold");
        assertEquals("Gold", gold.name());
        assertEquals(-1, gold.quotaMax());
        assertEquals(1.5, gold.throttleInterval());
        assertTrue(gold.partitions().quota() && gold.partitions().acl() && gold.partitions().enabled());
        Policy.Access access = gold.accessRights().get("api");
        assertEquals(List.of(new Policy.Url("/users", List.of("GET"))), access.allowedUrls());
        assertEquals(10, access.limit().quotaMax());
        assertEquals(3, gold.metaData().get("n").asInt());
        assertEquals(List.of("t1"), gold.tags());
        assertEquals(86400, gold.keyExpiresIn());
    }

    @Test
    void aPolicyWithoutIdTakesItsObjectIdAndOneWithNeitherIsSkipped() throws Exception {
        write("p/a.json", "{\"_id\": \"5ead7120575961000181867e\", \"rate\": 1}");
        write("p/b.json", "{\"_id\": \"not-an-object-id\", \"rate\": 1}");

        Map<String, Policy> policies = load("", "p", "");

        assertEquals(List.of("5ead7120575961000181867e"), List.copyOf(policies.keySet()));
        assertEquals(1, problems.size());
        assertEquals("b.json", problems.get(0).file());
        assertEquals("/id", problems.get(0).jsonPath());
        assertTrue(problems.get(0).isError());
    }

    @Test
    void aBadPolicyIsSkippedNamingFileAndPointerAndTheOthersLoad() throws Exception {
        write("p/1-broken.json", "{\"id\": \"broken\", ");
        write("p/2-wrong.json", "{\"id\": \"wrong\", \"access_rights\": {\"api\": {\"limit\": {\"quota_max\": \"lots\"}}}}");
        write("p/3-good.json", "{\"id\": \"good\"}");

        Map<String, Policy> policies = load("", "p", "");

        assertEquals(List.of("good"), List.copyOf(policies.keySet()));
        assertEquals(2, problems.size(), problems.toString());
        assertEquals("1-broken.json", problems.get(0).file());
        assertTrue(problems.get(0).reason().startsWith("invalid JSON"), problems.get(0).reason());
        assertEquals("2-wrong.json", problems.get(1).file());
        assertEquals("/access_rights/api/limit/quota_max", problems.get(1).jsonPath());
    }

    @Test
    void aRecordFileMapsIdsToPoliciesAndTheKeyWinsOverTheField() throws Exception {
        write("policies.json", """
                {"gold": {"id": "other", "rate": 10, "per": 1},
                 "silver": {"rate": 5, "per": 1},
                 "bad": {"rate": "fast"},
                 "": {"id": "from-field"}}
                """);

        Map<String, Policy> policies = load("", "", "policies.json");

        assertEquals(List.of("gold", "silver", "from-field"), List.copyOf(policies.keySet()));
        assertEquals("gold", policies.get("gold").id());
        assertEquals(1, problems.size(), problems.toString());
        assertEquals("/bad/rate", problems.get(0).jsonPath());
    }

    @Test
    void thePathWinsOverTheRecordNameAsInTyk() throws Exception {
        write("dir/a.json", "{\"id\": \"from-dir\"}");
        write("policies.json", "{\"from-record\": {}}");

        assertEquals(List.of("from-dir"), List.copyOf(load("file", "dir", "policies.json").keySet()));
    }

    @Test
    void remoteSourcesLoadNothingWithOneWarning() throws Exception {
        write("dir/a.json", "{\"id\": \"a\"}");

        assertEquals(Map.of(), load("service", "dir", ""));
        assertEquals(Map.of(), load("rpc", "dir", ""));
        assertEquals(2, problems.size());
        assertEquals("/policies/policy_source", problems.get(0).jsonPath());
        assertTrue(!problems.get(0).isError() && problems.get(0).reason().contains("'service'"));
    }

    @Test
    void nothingConfiguredLoadsNothing() {
        assertEquals(Map.of(), load("", "", ""));
        assertEquals(List.of(), problems);
    }

    @Test
    void aMissingFolderIsAnError() {
        assertEquals(Map.of(), load("", "nowhere", ""));
        assertTrue(problems.get(0).isError());
    }

    @Test
    void aDuplicateIdKeepsTheLaterFileWithAWarning() throws Exception {
        write("p/a.json", "{\"id\": \"same\", \"rate\": 1}");
        write("p/b.json", "{\"id\": \"same\", \"rate\": 2}");

        assertEquals(2, load("", "p", "").get("same").rate());
        assertEquals("b.json", problems.get(0).file());
        assertTrue(!problems.get(0).isError());
    }

    @Test
    void graphQlRightsEarnAWarning() throws Exception {
        write("p/a.json", "{\"id\": \"g\", \"access_rights\": {\"api\": {\"restricted_types\":"
                + " [{\"name\": \"X\"}]}}}");

        assertTrue(load("", "p", "").containsKey("g"));
        assertEquals("/access_rights/api/restricted_types", problems.get(0).jsonPath());
    }
}
