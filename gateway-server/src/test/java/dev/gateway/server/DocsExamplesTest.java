package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ConfigException;
import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.tls.TlsContexts;
import dev.gateway.core.transport.Transport;
import dev.gateway.healthcheck.Checks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code json} block of {@code docs/*.md} loads as the page says it does, so a user who pastes one gets
 * what the page promises:
 * <ul>
 *   <li>a whole object is an API definition when it has {@code proxy}, {@code api_id} or {@code protocol}, and
 *       goes through {@link ConfigLoader#loadApi} (then its uptime checks through {@link Checks#of}); otherwise it
 *       is a {@code tyk.conf} and goes through {@link ConfigLoader#loadGatewayConfig};</li>
 *   <li>a fragment ({@code "proxy": {...}}, {@code "ports_whitelist": {...}}, several members) is wrapped in
 *       braces and must parse; a member this test knows is put into a minimal definition or conf and loaded.</li>
 * </ul>
 * No error-level problem may come out, unless the block's marker says {@code expect-error=POINTER}; then exactly
 * that one. Blocks that are deliberately not JSON (Tyk's own invalid snippets) carry {@code not-json} and a fence
 * other than {@code json}. The marker syntax is in {@link DocsExamples}.
 */
class DocsExamplesTest {

    /** Parses as strictly as the loader: one value per block, no trailing content. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    /** The default file name of a block loaded as an API definition. */
    private static final String DEFAULT_API_FILE = "example.json";

    /** Where a fragment's known member goes: a minimal definition or conf around it. */
    private static final Map<String, Function<JsonNode, Loadable>> KNOWN_MEMBERS = Map.of(
            "proxy", value -> Loadable.api(minimalApi().set("proxy", value)),
            "service_discovery", value -> {
                ObjectNode api = minimalApi();
                ((ObjectNode) api.get("proxy")).set("service_discovery", value);
                return Loadable.api(api);
            },
            "uptime_tests", value -> Loadable.api(minimalApi().set("uptime_tests", value)),
            "version_data", value -> Loadable.api(minimalApi().set("version_data", value)),
            "extended_paths", value -> {
                ObjectNode version = JSON.createObjectNode().put("name", "Default").put("use_extended_paths", true);
                version.set("extended_paths", value);
                ObjectNode data = JSON.createObjectNode().put("not_versioned", true);
                data.putObject("versions").set("Default", version);
                return Loadable.api(minimalApi().set("version_data", data));
            },
            "ports_whitelist", value -> Loadable.conf(JSON.createObjectNode().set("ports_whitelist", value)),
            "http_server_options", value -> Loadable.conf(JSON.createObjectNode().set("http_server_options", value)));

    @TempDir
    Path dir;

    /** What one block becomes: an API definition or a {@code tyk.conf}. */
    private record Loadable(ObjectNode tree, boolean api) {
        static Loadable api(ObjectNode tree) {
            return new Loadable(tree, true);
        }

        static Loadable conf(ObjectNode tree) {
            return new Loadable(tree, false);
        }
    }

    @TestFactory
    Stream<DynamicTest> everyJsonBlockInTheDocsLoads() {
        return DocsExamples.all().stream()
                .filter(block -> block.language().equals("json") || block.marker().has("not-json"))
                .map(block -> DynamicTest.dynamicTest(block.where(), () -> check(block)));
    }

    @Test
    void theDocsHoldEnoughJsonBlocksForTheTestToMeanSomething() {
        long json = DocsExamples.all().stream().filter(b -> b.language().equals("json")).count();
        // The pages held 16 when this was written: far fewer means the extractor, not the docs, changed.
        assertTrue(json >= 12, "only " + json + " json blocks found under " + DocsExamples.docsDir());
    }

    @Test
    void aBrokenBlockFails() throws Exception {
        Path page = dir.resolve("broken.md");
        Files.writeString(page, """
                # A page

                ```json
                {"api_id": "a", "proxy": {"listen_path": "/a/", "target_url": "http://127.0.0.1:9000"},}
                ```
                """);

        DocsExamples.Block block = DocsExamples.blocks(page).get(0);

        assertThrowsAssertion(() -> check(block));
    }

    @Test
    void aBlockThatParsesButDoesNotLoadFails() throws Exception {
        Path page = dir.resolve("unloadable.md");
        Files.writeString(page, """
                ```json
                "proxy": {"listen_path": "/a/", "target_list": ["http://127.0.0.1:9000"]}
                ```
                """);

        assertThrowsAssertion(() -> check(DocsExamples.blocks(page).get(0)));
    }

    @Test
    void markersAreReadFromTheLineBeforeTheFence() throws Exception {
        Path page = dir.resolve("marked.md");
        Files.writeString(page, """
                <!-- example: file=redis.json tyk-verbatim expect-error=/certificate/0 -->
                  ```json
                  {"a": 1}
                  ```
                """);

        DocsExamples.Block block = DocsExamples.blocks(page).get(0);

        assertEquals(Optional.of("redis.json"), block.marker().option("file"));
        assertEquals(Optional.of("/certificate/0"), block.marker().option("expect-error"));
        assertTrue(block.marker().has("tyk-verbatim"));
        assertEquals("{\"a\": 1}\n", block.text());
    }

    private static void assertThrowsAssertion(Executable executable) {
        try {
            executable.run();
        } catch (AssertionError expected) {
            return;
        } catch (Exception e) {
            fail("expected a test failure, got " + e);
        }
        fail("the block was accepted");
    }

    /** {@link org.junit.jupiter.api.function.Executable}, named here to keep the imports readable. */
    private interface Executable {
        void run() throws Exception;
    }

    private void check(DocsExamples.Block block) throws Exception {
        if (block.marker().has("not-json")) {
            assertFalse(block.language().equals("json"), block.where() + " is marked not-json but fenced as json: "
                    + "fence it as text");
            return;
        }
        for (Loadable loadable : loadables(block)) {
            List<LoadProblem> errors = loadable.api() ? loadApi(block, loadable.tree()) : loadConf(loadable.tree());
            Optional<String> expected = block.marker().option("expect-error");
            if (expected.isPresent()) {
                assertEquals(1, errors.size(), block.where() + ": expected one error at " + expected.get()
                        + ", got " + errors);
                assertEquals(expected.get(), errors.get(0).jsonPath(), block.where() + ": " + errors);
            } else {
                assertEquals(List.of(), errors, block.where() + " does not load");
            }
        }
    }

    /** The definitions and confs a block stands for; none for a fragment of members this test does not know. */
    private static List<Loadable> loadables(DocsExamples.Block block) {
        String text = block.text().strip();
        if (text.startsWith("{")) {
            ObjectNode tree = parseObject(text, block);
            boolean api = tree.has("proxy") || tree.has("api_id") || tree.has("protocol");
            return List.of(api ? Loadable.api(tree) : Loadable.conf(tree));
        }
        ObjectNode members = parseObject("{" + text + "}", block);
        List<Loadable> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> member : members.properties()) {
            Function<JsonNode, Loadable> wrap = KNOWN_MEMBERS.get(member.getKey());
            if (wrap != null) {
                out.add(wrap.apply(member.getValue()));
            }
        }
        return out;
    }

    private static ObjectNode parseObject(String text, DocsExamples.Block block) {
        try {
            JsonNode tree = JSON.readTree(text);
            assertTrue(tree != null && tree.isObject(), block.where() + " is not a JSON object");
            return (ObjectNode) tree;
        } catch (JsonProcessingException e) {
            throw new AssertionError(block.where() + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** A keyless HTTP API that a fragment completes; its target is a placeholder a fragment may replace. */
    private static ObjectNode minimalApi() {
        ObjectNode api = JSON.createObjectNode();
        api.put("api_id", "docs-fragment");
        api.put("use_keyless", true);
        api.putObject("proxy").put("listen_path", "/fragment/").put("target_url", "http://127.0.0.1:9");
        return api;
    }

    /**
     * Loads a definition as the gateway does, from a file under {@code apps/}; its uptime checks must be ones the
     * health checker can run, since a check it cannot run is only a warning at start-up.
     */
    private List<LoadProblem> loadApi(DocsExamples.Block block, ObjectNode tree) throws IOException, SSLException {
        Path apps = Files.createDirectories(dir.resolve("apps"));
        Path file = apps.resolve(block.marker().option("file").orElse(DEFAULT_API_FILE));
        Files.writeString(file, block.text().strip().startsWith("{") ? block.text() : tree.toPrettyString());
        List<LoadProblem> problems = new ArrayList<>();
        Optional<LoadedApi> loaded = ConfigLoader.loadApi(file, dir, problems);
        List<LoadProblem> errors = new ArrayList<>(problems.stream().filter(LoadProblem::isError).toList());
        if (loaded.isPresent()) {
            ApiDefinition api = loaded.get().definition();
            for (ApiDefinition.UptimeCheck check : api.uptimeTests().checkList()) {
                try {
                    Checks.of(api, check, TlsContexts.forClients(), Transport.select().channelClass());
                } catch (IllegalArgumentException e) {
                    errors.add(LoadProblem.error(file.getFileName().toString(), "/uptime_tests", api.apiId(),
                            e.getMessage()));
                }
            }
        }
        return errors;
    }

    private List<LoadProblem> loadConf(ObjectNode tree) throws IOException {
        Path conf = dir.resolve("tyk.conf");
        Files.writeString(conf, tree.toPrettyString());
        try {
            ConfigLoader.loadGatewayConfig(conf, new ArrayList<>());
            return List.of();
        } catch (ConfigException e) {
            return List.of(e.problem());
        }
    }
}
