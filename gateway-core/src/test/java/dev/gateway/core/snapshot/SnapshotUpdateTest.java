package dev.gateway.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.lb.HostHealth;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A targeted update changes the APIs of the files named and nothing else: every other API keeps its target group,
 * every port none of them is on keeps its plan (the same instance), and the result is what a compile of every file
 * would give. When only that compile can say what a change does, there is no update.
 */
class SnapshotUpdateTest {

    @TempDir
    Path dir;

    private GatewaySnapshot full;

    @BeforeEach
    void threeApisOnTwoPorts() throws Exception {
        Files.writeString(dir.resolve("tyk.conf"), "{\"listen_port\": 8080, \"disable_ports_whitelist\": true}");
        api("a.json", http("a", "/a/", 0));
        api("c.json", http("c", "/c/", 0));
        api("p.json", http("p", "/p/", 9001));
        full = compile(null);
    }

    @Test
    void aChangedApiIsCompiledAndEverythingElseIsLeftAsItWas() throws Exception {
        api("c.json", http("c", "/c-moved/", 0));
        GatewaySnapshot updated = update(full, List.of(load("c.json")), List.of()).orElseThrow();

        assertFalse(updated.kept("c"));
        assertNotSame(full.targetGroup("c"), updated.targetGroup("c"));
        assertTrue(updated.kept("a"));
        assertSame(full.targetGroup("a"), updated.targetGroup("a"));
        assertSame(full.listeners().get(9001), updated.listeners().get(9001), "a port no change touched");
        assertEquals(2, updated.keptCount());
        assertEquals(List.of("a", "c"), ids(updated.listeners().get(8080)), "file order, as a full compile has it");
        assertEquals("/c-moved/", updated.api("c").definition().proxy().listenPath());
        assertSameServing(compile(updated), updated);
    }

    @Test
    void aNewFileTakesItsPlaceInFileOrderAndADeletedOneFreesItsPort() throws Exception {
        api("b.json", http("b", "/b/", 0));
        Files.delete(dir.resolve("apps/p.json"));
        GatewaySnapshot updated = update(full, List.of(load("b.json")), List.of(dir.resolve("apps/p.json")))
                .orElseThrow();

        assertEquals(List.of("a", "b", "c"), ids(updated.listeners().get(8080)));
        assertNull(updated.listeners().get(9001), "no API is left on it");
        assertNull(updated.api("p"));
        assertNull(updated.apiOfFile(dir.resolve("apps/p.json")));
        assertEquals(3, updated.apiCount());
        assertSameServing(compile(updated), updated);
    }

    @Test
    void anApiMayMoveToAnotherPortAndTheGatewayPortStaysWithoutApis() throws Exception {
        api("a.json", http("a", "/a/", 9002));
        api("c.json", http("c", "/c/", 9002));
        GatewaySnapshot updated = update(full, List.of(load("a.json"), load("c.json")), List.of()).orElseThrow();

        assertEquals(List.of(), ids(updated.listeners().get(8080)), "the gateway's own port stays open");
        assertEquals(List.of("a", "c"), ids(updated.listeners().get(9002)));
        assertSame(full.listeners().get(9001), updated.listeners().get(9001));
        assertSameServing(compile(updated), updated);
    }

    @Test
    void aChangeThatCollidesIsLeftToACompileOfEveryFile() throws Exception {
        api("c.json", http("c", "/a/", 0));
        assertTrue(update(full, List.of(load("c.json")), List.of()).isEmpty(), "the same route as a.json's");

        api("c.json", http("a", "/c/", 0));
        assertTrue(update(full, List.of(load("c.json")), List.of()).isEmpty(), "a.json's id");

        api("c.json", "{\"api_id\": \"c\", \"protocol\": \"tcp\", \"listen_port\": 9001,"
                + " \"proxy\": {\"target_url\": \"tcp://127.0.0.1:9000\"}}");
        assertTrue(update(full, List.of(load("c.json")), List.of()).isEmpty(), "port 9001 serves http");
    }

    @Test
    void whileAnApiIsRefusedOnlyACompileOfEveryFileCanServeIt() throws Exception {
        api("d.json", http("d", "/a/", 0));
        GatewaySnapshot refusing = compile(full);
        assertNull(refusing.api("d"), "a.json has the route");

        Files.delete(dir.resolve("apps/a.json"));
        assertTrue(update(refusing, List.of(), List.of(dir.resolve("apps/a.json"))).isEmpty(),
                "d.json may be served now");
        assertNotNull(compile(refusing).api("d"));
    }

    @Test
    void aFileWrittenAgainWithTheSameBytesKeepsItsApi() throws Exception {
        api("c.json", http("c", "/c/", 0));
        GatewaySnapshot updated = update(full, List.of(load("c.json")), List.of()).orElseThrow();

        assertTrue(updated.kept("c"));
        assertSame(full.targetGroup("c"), updated.targetGroup("c"));
        assertEquals(3, updated.keptCount());
    }

    /** The same APIs on the same ports in the same order, and the same ones kept. */
    private static void assertSameServing(GatewaySnapshot expected, GatewaySnapshot actual) {
        assertEquals(expected.listeners().keySet(), actual.listeners().keySet());
        expected.listeners().forEach((port, plan) -> {
            assertEquals(plan.protocol(), actual.listeners().get(port).protocol());
            assertEquals(ids(plan), ids(actual.listeners().get(port)), "port " + port);
        });
    }

    private static List<String> ids(ListenerPlan plan) {
        return plan.apis().stream().map(a -> a.definition().apiId()).toList();
    }

    private Optional<GatewaySnapshot> update(GatewaySnapshot previous, List<LoadedApi> changed, List<Path> gone) {
        return GatewaySnapshot.update(previous, changed, gone, List.of(), HostHealth.ByApi.ALWAYS_UP);
    }

    private LoadedApi load(String fileName) {
        List<LoadProblem> problems = new ArrayList<>();
        LoadedApi loaded = ConfigLoader.loadApi(dir.resolve("apps").resolve(fileName), dir, problems).orElseThrow();
        assertEquals(List.of(), problems.stream().filter(LoadProblem::isError).toList());
        return loaded;
    }

    private GatewaySnapshot compile(GatewaySnapshot previous) throws Exception {
        LoadReport report = ConfigLoader.load(dir.resolve("tyk.conf"));
        return GatewaySnapshot.compile(report, HostHealth.ByApi.ALWAYS_UP, previous);
    }

    private void api(String fileName, String json) throws IOException {
        Files.writeString(Files.createDirectories(dir.resolve("apps")).resolve(fileName), json);
    }

    private static String http(String id, String listenPath, int port) {
        return """
                {"api_id": "%s", "use_keyless": true, "listen_port": %d,
                 "proxy": {"listen_path": "%s", "target_url": "http://127.0.0.1:9000"}}
                """.formatted(id, port, listenPath);
    }
}
