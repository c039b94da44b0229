package dev.gateway.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.lb.HostHealth;
import dev.gateway.core.lb.Target;
import dev.gateway.core.testing.TestCerts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewaySnapshotTest {

    @TempDir
    Path dir;

    // --- duplicate ids and routes ---

    @Test
    void duplicateApiIdIsRefusedNamingBothFiles() throws Exception {
        conf("{}");
        api("a.json", http("same", "/one/"));
        api("b.json", http("same", "/two/"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of("a.json"), files(snapshot));
        LoadProblem error = onlyError(snapshot);
        assertEquals("b.json", error.file());
        assertEquals("/api_id", error.jsonPath());
        assertEquals("same", error.apiId());
        assertTrue(error.reason().contains("a.json (by its api_id)"), error.reason());
        assertTrue(error.reason().contains("b.json (by its api_id)"), error.reason());
    }

    @Test
    void idTakenFromAFileNameThatAnotherFileGivesIsRefusedNamingBothFilesAndHow() throws Exception {
        conf("{}");
        api("a.json", http("redis", "/one/"));
        api("redis.json", http("redis", "/two/").replace("\"api_id\": \"redis\",", ""));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of("a.json"), files(snapshot));
        LoadProblem error = onlyError(snapshot);
        assertEquals("redis.json", error.file());
        assertEquals("redis", error.apiId());
        assertTrue(error.reason().contains("a.json (by its api_id)"), error.reason());
        assertTrue(error.reason().contains("redis.json (by its file name, having no api_id)"), error.reason());
    }

    @Test
    void sameDomainAndListenPathOnOnePortIsRefusedNamingBothApis() throws Exception {
        conf("{}");
        api("a.json", http("first", "/api/"));
        api("b.json", http("second", "/api/"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of("first"), ids(snapshot));
        LoadProblem error = onlyError(snapshot);
        assertEquals("b.json", error.file());
        assertEquals("/proxy/listen_path", error.jsonPath());
        assertEquals("second", error.apiId());
        assertTrue(error.reason().contains("first"), error.reason());
        assertTrue(error.reason().contains("a.json"), error.reason());
    }

    @Test
    void listenPathsDifferingOnlyByTrailingSlashAreTheSameRoute() throws Exception {
        conf("{}");
        api("a.json", http("first", "/api"));
        api("b.json", http("second", "/api/"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of("first"), ids(snapshot));
        assertEquals("second", onlyError(snapshot).apiId());
    }

    @Test
    void emptyListenPathIsTheSameRouteAsRoot() throws Exception {
        conf("{}");
        api("a.json", http("first", ""));
        api("b.json", http("second", "/"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of("first"), ids(snapshot));
        assertEquals("second", onlyError(snapshot).apiId());
    }

    @Test
    void domainsCompareWithoutCase() throws Exception {
        conf("{}");
        api("a.json", http("first", "/api/", "\"domain\": \"api.example.com\""));
        api("b.json", http("second", "/api/", "\"domain\": \"API.Example.COM\""));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of("first"), ids(snapshot));
        assertEquals("second", onlyError(snapshot).apiId());
    }

    @Test
    void sameListenPathOnDifferentDomainsIsServed() throws Exception {
        conf("{}");
        api("a.json", http("a", "/api/", "\"domain\": \"a.example.com\""));
        api("b.json", http("b", "/api/", "\"domain\": \"b.example.com\""));
        api("c.json", http("c", "/api/"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of(), snapshot.problems());
        assertEquals(List.of("a", "b", "c"), ids(snapshot));
    }

    @Test
    void sameListenPathOnDifferentPortsIsServed() throws Exception {
        conf("{\"disable_ports_whitelist\": true}");
        api("a.json", http("a", "/api/"));
        api("b.json", http("b", "/api/", "\"listen_port\": 9001"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of(), snapshot.problems());
        assertEquals(List.of("a"), apiIds(snapshot.listeners().get(8080)));
        assertEquals(List.of("b"), apiIds(snapshot.listeners().get(9001)));
    }

    @Test
    void refusedApiDoesNotStopTheNextOne() throws Exception {
        conf("{}");
        api("a.json", http("a", "/api/"));
        api("b.json", http("a", "/other/"));
        api("c.json", http("c", "/api/"));
        api("d.json", http("d", "/d/"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of("a", "d"), ids(snapshot));
        assertEquals(List.of("b.json", "c.json"), snapshot.problems().stream().map(LoadProblem::file).toList());
    }

    // --- protocol families on a port ---

    @Test
    void httpsApiWithoutListenPortOnPlainHttpGatewayPortIsRefusedNamingTheGatewayPort() throws Exception {
        conf("{\"listen_port\": 18080}");
        api("secure.json", http("secure", "/secure/", "\"protocol\": \"https\""));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of(), snapshot.apis());
        LoadProblem error = onlyError(snapshot);
        assertEquals("secure", error.apiId());
        assertEquals("/protocol", error.jsonPath());
        assertTrue(error.reason().contains("18080"), error.reason());
        assertTrue(error.reason().contains("gateway"), error.reason());
    }

    @Test
    void apiWithoutProtocolTakesTheGatewayPortsFamily() throws Exception {
        conf("""
                {"http_server_options": {"use_ssl": true, "ssl_certificates": ["%s"]}}
                """.formatted(jsonString(TestCerts.localhostPem().toString())));
        api("a.json", http("a", "/a/"));
        api("b.json", http("b", "/b/", "\"protocol\": \"https\""));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of(), snapshot.problems());
        ListenerPlan gateway = snapshot.listeners().get(8080);
        assertEquals(ListenerProtocol.HTTPS, gateway.protocol());
        assertEquals(List.of("a", "b"), apiIds(gateway));
    }

    @Test
    void twoFamiliesOnOneExtraPortAreRefusedNamingTheFirstApi() throws Exception {
        conf("{\"disable_ports_whitelist\": true}");
        api("a.json", http("plain", "/plain/", "\"listen_port\": 9000"));
        api("b.json", http("secure", "/secure/", "\"listen_port\": 9000, \"protocol\": \"https\""));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of("plain"), ids(snapshot));
        assertEquals(ListenerProtocol.HTTP, snapshot.listeners().get(9000).protocol());
        LoadProblem error = onlyError(snapshot);
        assertEquals("b.json", error.file());
        assertEquals("secure", error.apiId());
        assertTrue(error.reason().contains("plain"), error.reason());
        assertTrue(error.reason().contains("a.json"), error.reason());
        assertTrue(error.reason().contains("9000"), error.reason());
    }

    @Test
    void apisOfOneFamilyShareAnExtraPort() throws Exception {
        conf("{\"disable_ports_whitelist\": true}");
        api("a.json", http("a", "/a/", "\"listen_port\": 9443, \"protocol\": \"https\""));
        api("b.json", http("b", "/b/", "\"listen_port\": 9443, \"protocol\": \"https\""));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of(), snapshot.problems());
        ListenerPlan plan = snapshot.listeners().get(9443);
        assertEquals(ListenerProtocol.HTTPS, plan.protocol());
        assertEquals(List.of("a", "b"), apiIds(plan));
        assertEquals(false, plan.gatewayPort());
    }

    // --- ports_whitelist ---

    @Test
    void apiOnPortNotWhitelistedIsRefusedNamingProtocolPortAndApi() throws Exception {
        conf("""
                {"ports_whitelist": {"http": {"ports": [9000]}}}
                """);
        api("a.json", http("outside", "/a/", "\"listen_port\": 9001"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of(), snapshot.apis());
        LoadProblem error = onlyError(snapshot);
        assertEquals("outside", error.apiId());
        assertEquals("/listen_port", error.jsonPath());
        assertTrue(error.reason().contains("9001"), error.reason());
        assertTrue(error.reason().contains("http"), error.reason());
        assertTrue(error.toString().contains("outside"), error.toString());
    }

    @Test
    void whitelistIsKeyedByTheApisProtocol() throws Exception {
        conf("""
                {"ports_whitelist": {"http": {"ports": [9443]}}}
                """);
        api("a.json", http("secure", "/a/", "\"listen_port\": 9443, \"protocol\": \"https\""));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of(), snapshot.apis());
        LoadProblem error = onlyError(snapshot);
        assertTrue(error.reason().contains("https"), error.reason());
        assertTrue(error.reason().contains("9443"), error.reason());
    }

    @Test
    void withoutAnyWhitelistOnlyTheGatewayPortIsAllowed() throws Exception {
        conf("{}");
        api("a.json", http("a", "/a/", "\"listen_port\": 9000"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of(), snapshot.apis());
        assertEquals("a", onlyError(snapshot).apiId());
    }

    @Test
    void portAllowedByPortsListIsServed() throws Exception {
        conf("""
                {"ports_whitelist": {"http": {"ports": [9000, 9005]}}}
                """);
        api("a.json", http("a", "/a/", "\"listen_port\": 9005"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of(), snapshot.problems());
        assertEquals(List.of("a"), apiIds(snapshot.listeners().get(9005)));
    }

    @Test
    void rangesAreInclusiveAtBothEnds() throws Exception {
        conf("""
                {"ports_whitelist": {"https": {"ranges": [{"from": 9400, "to": 9410}]}}}
                """);
        api("a.json", http("low", "/a/", "\"listen_port\": 9400, \"protocol\": \"https\""));
        api("b.json", http("high", "/b/", "\"listen_port\": 9410, \"protocol\": \"https\""));
        api("c.json", http("below", "/c/", "\"listen_port\": 9399, \"protocol\": \"https\""));
        api("d.json", http("above", "/d/", "\"listen_port\": 9411, \"protocol\": \"https\""));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of("low", "high"), ids(snapshot));
        assertEquals(List.of("below", "above"), snapshot.problems().stream().map(LoadProblem::apiId).toList());
    }

    @Test
    void disablePortsWhitelistAllowsAnyPort() throws Exception {
        conf("""
                {"disable_ports_whitelist": true, "ports_whitelist": {"http": {"ports": [9000]}}}
                """);
        api("a.json", http("a", "/a/", "\"listen_port\": 12345"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of(), snapshot.problems());
        assertEquals(List.of("a"), apiIds(snapshot.listeners().get(12345)));
    }

    @Test
    void gatewayPortIsAlwaysAllowed() throws Exception {
        conf("""
                {"listen_port": 8181, "ports_whitelist": {"http": {"ports": [9000]}}}
                """);
        api("a.json", http("explicit", "/a/", "\"listen_port\": 8181"));
        api("b.json", http("implicit", "/b/"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of(), snapshot.problems());
        assertEquals(List.of("explicit", "implicit"), apiIds(snapshot.listeners().get(8181)));
        assertEquals(1, snapshot.listeners().size());
    }

    // --- listener plans and target groups ---

    @Test
    void gatewayPortListenerExistsWithoutApis() throws Exception {
        conf("{\"listen_address\": \"127.0.0.1\", \"listen_port\": 8282}");
        Files.createDirectories(dir.resolve("apps"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of(8282), List.copyOf(snapshot.listeners().keySet()));
        ListenerPlan plan = snapshot.listeners().get(8282);
        assertTrue(plan.gatewayPort());
        assertEquals(ListenerProtocol.HTTP, plan.protocol());
        assertEquals("127.0.0.1", plan.address());
        assertEquals(List.of(), plan.apis());
        assertEquals(List.of(), snapshot.apis());
    }

    @Test
    void gatewayPortListenerIsHttpsWhenUseSslIsOn() throws Exception {
        conf("""
                {"http_server_options": {"use_ssl": true, "ssl_certificates": ["%s"]}}
                """.formatted(jsonString(TestCerts.localhostPem().toString())));
        Files.createDirectories(dir.resolve("apps"));

        GatewaySnapshot snapshot = compile();

        ListenerPlan plan = snapshot.listeners().get(8080);
        assertEquals(ListenerProtocol.HTTPS, plan.protocol());
        assertTrue(plan.protocol().isTls());
    }

    @Test
    void gatewayPortComesFirstAmongListeners() throws Exception {
        conf("{\"disable_ports_whitelist\": true, \"listen_port\": 9500}");
        api("a.json", http("a", "/a/", "\"listen_port\": 9100"));
        api("b.json", http("b", "/b/", "\"listen_port\": 9200"));
        api("c.json", http("c", "/c/"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of(9500, 9100, 9200), List.copyOf(snapshot.listeners().keySet()));
        assertTrue(snapshot.listeners().get(9500).gatewayPort());
        assertEquals(false, snapshot.listeners().get(9100).gatewayPort());
    }

    @Test
    void eachServedApiHasATargetGroupUsingTheGivenHealth() throws Exception {
        conf("{}");
        api("a.json", http("single", "/a/"));
        api("b.json", """
                {
                  "api_id": "balanced",
                  "use_keyless": true,
                  "proxy": {
                    "listen_path": "/b/",
                    "enable_load_balancing": true,
                    "target_list": ["http://10.0.0.1:80", "http://10.0.0.2:80"]
                  }
                }
                """);
        HostHealth firstDown = target -> !target.host().equals("10.0.0.1");

        GatewaySnapshot snapshot = GatewaySnapshot.compile(ConfigLoader.load(dir.resolve("tyk.conf")), firstDown);

        assertEquals(List.of(Target.parse("http://127.0.0.1:9000")), snapshot.targetGroup("single").targets());
        assertEquals(2, snapshot.targetGroup("balanced").targets().size());
        for (int i = 0; i < 4; i++) {
            assertEquals("10.0.0.2", snapshot.targetGroup("balanced").next().host());
        }
        assertNull(snapshot.targetGroup("missing"));
    }

    @Test
    void refusedApiHasNoTargetGroup() throws Exception {
        conf("{}");
        api("a.json", http("a", "/api/"));
        api("b.json", http("b", "/api/"));

        GatewaySnapshot snapshot = compile();

        assertNull(snapshot.targetGroup("b"));
    }

    @Test
    void loadProblemsComeBeforeCompileProblems() throws Exception {
        conf("{}");
        api("a.json", http("a", "/api/"));
        api("b.json", "{ broken");
        api("c.json", http("c", "/api/"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of("b.json", "c.json"), snapshot.problems().stream().map(LoadProblem::file).toList());
        assertEquals(snapshot.config(), ConfigLoader.load(dir.resolve("tyk.conf")).config());
    }

    // --- mutual TLS ---

    @Test
    void mutualTlsOnACleartextPortIsRefusedNamingTheField() throws Exception {
        conf("{}");
        Files.copy(TestCerts.selfSignedPem(), dir.resolve("client.pem"));
        api("plain.json", http("plain", "/plain/",
                "\"use_mutual_tls_auth\": true, \"client_certificates\": [\"client.pem\"]"));
        api("other.json", http("other", "/other/"));

        GatewaySnapshot snapshot = compile();

        assertEquals(List.of("other"), ids(snapshot));
        LoadProblem error = onlyError(snapshot);
        assertEquals("plain.json", error.file());
        assertEquals("/use_mutual_tls_auth", error.jsonPath());
        assertTrue(error.reason().contains("without TLS"), error.reason());
    }

    // --- helpers ---

    private GatewaySnapshot compile() throws Exception {
        LoadReport report = ConfigLoader.load(dir.resolve("tyk.conf"));
        return GatewaySnapshot.compile(report, HostHealth.ALWAYS_UP);
    }

    private void conf(String json) throws IOException {
        Files.writeString(dir.resolve("tyk.conf"), json);
    }

    private void api(String fileName, String json) throws IOException {
        Files.writeString(Files.createDirectories(dir.resolve("apps")).resolve(fileName), json);
    }

    private static String http(String id, String listenPath) {
        return http(id, listenPath, null);
    }

    /** A keyless HTTP API; {@code topFields} are added at the top level of the definition. */
    private static String http(String id, String listenPath, String topFields) {
        return """
                {
                  "api_id": "%s",
                  "use_keyless": true,%s
                  "proxy": {"listen_path": "%s", "target_url": "http://127.0.0.1:9000"}
                }
                """.formatted(id, topFields == null ? "" : "\n  " + topFields + ",", listenPath);
    }

    private static String jsonString(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static List<String> ids(GatewaySnapshot snapshot) {
        return snapshot.apis().stream().map(a -> a.definition().apiId()).toList();
    }

    private static List<String> files(GatewaySnapshot snapshot) {
        return snapshot.apis().stream().map(LoadedApi::fileName).toList();
    }

    private static List<String> apiIds(ListenerPlan plan) {
        return plan.apis().stream().map(a -> a.definition().apiId()).toList();
    }

    private static LoadProblem onlyError(GatewaySnapshot snapshot) {
        List<LoadProblem> errors = snapshot.problems().stream().filter(LoadProblem::isError).toList();
        assertEquals(1, errors.size(), () -> "expected exactly one error, got " + snapshot.problems());
        return errors.get(0);
    }
}
