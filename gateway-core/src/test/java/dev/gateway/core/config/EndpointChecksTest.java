package dev.gateway.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Load-time checks of an HTTP API's endpoint plugins ({@code version_data.versions.<name>.extended_paths}) and of
 * any API's IP lists, through {@link ConfigLoader#loadApi} on real files: a malformed entry refuses the API with
 * one error naming its JSON pointer; an entry we read differently from Tyk, or do not do, loads with a warning.
 */
class EndpointChecksTest {

    private static final String VERSION = "/version_data/versions/Default";
    private static final String EP = VERSION + "/extended_paths";

    /** A version with no plugins, for definitions whose problem lies elsewhere. */
    private static final String NO_PLUGINS = "\"use_extended_paths\": true";

    @TempDir
    Path dir;

    /** What {@link ConfigLoader#loadApi} gave for one file. */
    private record Loaded(Optional<LoadedApi> api, List<LoadProblem> problems) {
        List<LoadProblem> errors() {
            return problems.stream().filter(LoadProblem::isError).toList();
        }

        List<LoadProblem> warningsAt(String pointer) {
            return problems.stream().filter(p -> !p.isError() && p.jsonPath().equals(pointer)).toList();
        }
    }

    private Loaded load(String json) throws IOException {
        Path file = Files.writeString(dir.resolve("api.json"), json);
        List<LoadProblem> problems = new ArrayList<>();
        Optional<LoadedApi> api = ConfigLoader.loadApi(file, dir, problems);
        return new Loaded(api, problems);
    }

    /**
     * A keyless HTTP API (HTTP APIs load only when keyless, for now) with {@code topLevel} fields added and one
     * version, {@code Default}, made of {@code versionFields}.
     */
    private static String api(String topLevel, String versionFields) {
        return """
                {
                  "api_id": "ep",
                  "use_keyless": true,
                  %s
                  "proxy": {"listen_path": "/ep/", "target_url": "http://127.0.0.1:9000", "strip_listen_path": true},
                  "version_data": {
                    "not_versioned": true,
                    "versions": {"Default": {"name": "Default", %s}}
                  }
                }
                """.formatted(topLevel, versionFields);
    }

    /** {@link #api} whose version uses {@code extended_paths} with these lists. */
    private static String withExtendedPaths(String lists) {
        return api("", "\"use_extended_paths\": true, \"extended_paths\": {" + lists + "}");
    }

    private void assertRefusedAt(String pointer, String json) throws IOException {
        Loaded loaded = load(json);

        assertFalse(loaded.api().isPresent(), () -> "loaded despite " + loaded.problems());
        assertEquals(1, loaded.errors().size(), () -> "expected one error, got " + loaded.problems());
        LoadProblem error = loaded.errors().get(0);
        assertEquals(pointer, error.jsonPath(), error::toString);
        assertEquals("api.json", error.file());
        assertEquals("ep", error.apiId());
    }

    private LoadProblem assertWarnedAt(String pointer, String json) throws IOException {
        Loaded loaded = load(json);

        assertTrue(loaded.api().isPresent(), () -> "refused: " + loaded.problems());
        assertEquals(List.of(), loaded.errors());
        assertEquals(1, loaded.warningsAt(pointer).size(), () -> "no warning at " + pointer + ": " + loaded.problems());
        return loaded.warningsAt(pointer).get(0);
    }

    static Stream<Arguments> malformedEntries() {
        String breaker = "\"path\": \"/flaky\", \"method\": \"GET\"";
        return Stream.of(
                Arguments.of(EP + "/white_list/0/path",
                        "\"white_list\": [{\"path\": \"/users/(\", \"method\": \"GET\"}]"),
                Arguments.of(EP + "/hard_timeouts/0/path",
                        "\"hard_timeouts\": [{\"method\": \"GET\", \"timeout\": 5}]"),
                Arguments.of(EP + "/hard_timeouts/0/timeout",
                        "\"hard_timeouts\": [{\"path\": \"/slow\", \"method\": \"GET\", \"timeout\": 0}]"),
                Arguments.of(EP + "/hard_timeouts/0/duration",
                        "\"hard_timeouts\": [{\"path\": \"/slow\", \"method\": \"GET\", \"duration\": \"5 parsecs\"}]"),
                Arguments.of(EP + "/hard_timeouts/0/timeout",
                        "\"hard_timeouts\": [{\"path\": \"/slow\", \"method\": \"GET\", \"timeout\": 9999999999}]"),
                Arguments.of(EP + "/hard_timeouts/0/duration",
                        "\"hard_timeouts\": [{\"path\": \"/slow\", \"method\": \"GET\", \"duration\": \"2000000h\"}]"),
                Arguments.of(EP + "/circuit_breakers/0/samples", "\"circuit_breakers\": [{" + breaker
                        + ", \"threshold_percent\": 0.5, \"samples\": 100001, \"return_to_service_after\": 30}]"),
                Arguments.of(EP + "/circuit_breakers/0/return_to_service_after", "\"circuit_breakers\": [{" + breaker
                        + ", \"threshold_percent\": 0.5, \"samples\": 10, \"return_to_service_after\": 86401}]"),
                Arguments.of(EP + "/circuit_breakers/0/threshold_percent", "\"circuit_breakers\": [{" + breaker
                        + ", \"threshold_percent\": 0, \"samples\": 10, \"return_to_service_after\": 30}]"),
                Arguments.of(EP + "/circuit_breakers/0/threshold_percent", "\"circuit_breakers\": [{" + breaker
                        + ", \"threshold_percent\": 150, \"samples\": 10, \"return_to_service_after\": 30}]"),
                Arguments.of(EP + "/circuit_breakers/0/samples", "\"circuit_breakers\": [{" + breaker
                        + ", \"threshold_percent\": 0.5, \"samples\": 0, \"return_to_service_after\": 30}]"),
                Arguments.of(EP + "/circuit_breakers/0/return_to_service_after", "\"circuit_breakers\": [{" + breaker
                        + ", \"threshold_percent\": 0.5, \"samples\": 10, \"return_to_service_after\": 0}]"),
                Arguments.of(EP + "/url_rewrites/0/match_pattern",
                        "\"url_rewrites\": [{\"path\": \"/old\", \"method\": \"GET\", \"rewrite_to\": \"/new\"}]"),
                Arguments.of(EP + "/transform_headers/0/add_headers/:path", "\"transform_headers\": [{\"path\": \"/x\","
                        + " \"method\": \"GET\", \"add_headers\": {\":path\": \"/admin\"}}]"),
                Arguments.of(EP + "/size_limits/0/size_limit",
                        "\"size_limits\": [{\"path\": \"/upload\", \"method\": \"POST\", \"size_limit\": 0}]"),
                Arguments.of(EP + "/white_list/0/method_actions/GET/action", "\"white_list\": [{\"path\": \"/x\","
                        + " \"method_actions\": {\"GET\": {\"action\": \"explode\", \"code\": 200}}}]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedEntries")
    void malformedEntryRefusesTheApiNamingItsPointer(String pointer, String lists) throws IOException {
        assertRefusedAt(pointer, withExtendedPaths(lists));
    }

    @Test
    void malformedIpListEntryRefusesTheApiNamingItsIndex() throws IOException {
        assertRefusedAt("/allowed_ips/1", api("\"allowed_ips\": [\"10.0.0.1\", \"10.0.0.0/33\"],", NO_PLUGINS));
        assertRefusedAt("/blacklisted_ips/0", api("\"blacklisted_ips\": [\"host.example\"],", NO_PLUGINS));
    }

    /** The checks of IP lists are every API's, not only HTTP ones'. */
    @Test
    void malformedIpListRefusesATcpApiToo() throws IOException {
        Loaded loaded = load("""
                {
                  "api_id": "ep",
                  "protocol": "tcp",
                  "listen_port": 7001,
                  "allowed_ips": ["1.2.3"],
                  "proxy": {"target_url": "tcp://127.0.0.1:9000"}
                }
                """);

        assertFalse(loaded.api().isPresent());
        assertEquals(List.of("/allowed_ips/0"), loaded.errors().stream().map(LoadProblem::jsonPath).toList());
    }

    @Test
    void pointerEscapesAVersionNameWithASlash() throws IOException {
        assertRefusedAt("/version_data/versions/v1~1beta/extended_paths/size_limits/0/size_limit", """
                {
                  "api_id": "ep",
                  "use_keyless": true,
                  "proxy": {"listen_path": "/ep/", "target_url": "http://127.0.0.1:9000"},
                  "version_data": {"not_versioned": true, "default_version": "v1/beta", "versions": {"v1/beta": {
                    "use_extended_paths": true,
                    "extended_paths": {"size_limits": [{"path": "/u", "method": "POST", "size_limit": -1}]}
                  }}}
                }
                """);
    }

    @Test
    void legacyPathsAreCheckedWhenExtendedPathsAreOff() throws IOException {
        assertRefusedAt(VERSION + "/paths/white_list/0",
                api("", "\"use_extended_paths\": false, \"paths\": {\"white_list\": [\"/users/(\"]}"));
    }

    @Test
    void disabledEntryIsNotChecked() throws IOException {
        Loaded loaded = load(withExtendedPaths(
                "\"hard_timeouts\": [{\"disabled\": true, \"path\": \"/slow\", \"method\": \"GET\", \"timeout\": 0}]"));

        assertTrue(loaded.api().isPresent(), () -> "refused: " + loaded.problems());
        assertEquals(List.of(), loaded.problems());
    }

    @Test
    void thresholdAboveOneIsReadAsAPercentageWithAWarning() throws IOException {
        LoadProblem warning = assertWarnedAt(EP + "/circuit_breakers/0/threshold_percent", withExtendedPaths(
                "\"circuit_breakers\": [{\"path\": \"/flaky\", \"method\": \"GET\", \"threshold_percent\": 50,"
                        + " \"samples\": 10, \"return_to_service_after\": 30}]"));

        assertTrue(warning.reason().contains("read as 50.0%"), warning::toString);
    }

    @Test
    void rewriteToAnotherHostIsAWarning() throws IOException {
        assertWarnedAt(EP + "/url_rewrites/0/rewrite_to", withExtendedPaths("\"url_rewrites\": [{\"path\": \"/old\","
                + " \"method\": \"GET\", \"match_pattern\": \"/old\", \"rewrite_to\": \"http://other/x\"}]"));
    }

    @Test
    void payloadMatchesTriggerIsAWarning() throws IOException {
        assertWarnedAt(EP + "/url_rewrites/0/triggers/0/options/payload_matches", withExtendedPaths("""
                "url_rewrites": [{"path": "/old", "method": "POST", "match_pattern": "/old", "rewrite_to": "/new",
                  "triggers": [{"on": "any", "options": {"payload_matches": {"match_rx": "secret"}},
                                "rewrite_to": "/other"}]}]"""));
    }

    @Test
    void extendedPathsWrittenButSwitchedOffAreAWarning() throws IOException {
        assertWarnedAt(VERSION + "/use_extended_paths", api("", "\"use_extended_paths\": false, \"extended_paths\":"
                + " {\"size_limits\": [{\"path\": \"/upload\", \"method\": \"POST\", \"size_limit\": 1024}]}"));
    }

    @Test
    void unimplementedPluginIsAWarning() throws IOException {
        assertWarnedAt(EP + "/mock_response", withExtendedPaths("\"mock_response\": [{\"path\": \"/m\","
                + " \"method\": \"GET\", \"code\": 200, \"body\": \"hi\", \"headers\": {}}]"));
    }

    /** The shape of Tyk's documentation examples, every checked plugin used as intended. */
    @Test
    void wellFormedDefinitionLoadsWithoutProblems() throws IOException {
        Loaded loaded = load(api("\"allowed_ips\": [\"10.0.0.0/8\", \"2001:db8::/32\"],"
                + " \"blacklisted_ips\": [\"10.6.6.6\"],", """
                "expires": "",
                "paths": {"ignored": [], "white_list": [], "black_list": []},
                "use_extended_paths": true,
                "global_headers": {"X-Version": "1"},
                "global_headers_remove": ["X-Debug"],
                "global_size_limit": 0,
                "extended_paths": {
                  "ignored": [{"path": "/health", "method": "GET", "ignore_case": false}],
                  "white_list": [{"disabled": false, "path": "/widgets/{id}", "method": "GET", "ignore_case": false,
                    "method_actions": {"GET": {"action": "no_action", "code": 200, "data": "", "headers": {}}}}],
                  "black_list": [{"path": "/admin/*", "method": "DELETE"}],
                  "hard_timeouts": [{"path": "/slow", "method": "GET", "timeout": 5},
                                    {"path": "/slower", "method": "GET", "duration": "1m30s"}],
                  "circuit_breakers": [{"path": "/flaky", "method": "GET", "threshold_percent": 0.5, "samples": 20,
                    "return_to_service_after": 60}],
                  "url_rewrites": [{"path": "/old/{id}", "method": "GET", "match_pattern": "/old/(?P<id>\\\\w+)",
                    "rewrite_to": "/new/$1",
                    "triggers": [{"on": "any", "options": {"header_matches": {"X-Beta": {"match_rx": "^yes$"}}},
                                  "rewrite_to": "/beta/$1"}]}],
                  "transform_headers": [{"path": "/widgets", "method": "GET", "delete_headers": ["X-Internal"],
                    "add_headers": {"X-Gateway": "tyk"}}],
                  "transform_response_headers": [{"path": "/widgets", "method": "GET", "delete_headers": ["Server"],
                    "add_headers": {"X-Served-By": "gateway"}}],
                  "size_limits": [{"path": "/upload", "method": "POST", "size_limit": 1048576}]
                }"""));

        assertTrue(loaded.api().isPresent(), () -> "refused: " + loaded.problems());
        assertEquals(List.of(), loaded.problems());
    }
}
