package dev.gateway.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.FileDigest;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.lb.HostHealth;
import dev.gateway.core.testing.TestCerts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot compiled against the one in service keeps what did not change: an API whose definition file holds the
 * same bytes, and whose named files hold the same bytes, under the same {@code tyk.conf}, keeps its target group;
 * anything else is compiled again.
 */
class SnapshotKeepTest {

    @TempDir
    Path dir;

    @Test
    void anApiWhoseFileIsUnchangedKeepsItsTargetGroupAndAChangedOneGetsANewOne() throws Exception {
        conf("{}");
        api("steady.json", http("steady", "/steady/", ""));
        api("changing.json", http("changing", "/changing/", ""));
        GatewaySnapshot first = compile(null);
        assertEquals(0, first.keptCount(), "nothing to keep at the first compile");

        api("changing.json", http("changing", "/changing/", "\"name\": \"renamed\","));
        api("steady.json", http("steady", "/steady/", "")); // written again, the same bytes
        GatewaySnapshot second = compile(first);

        assertTrue(second.kept("steady"));
        assertSame(first.targetGroup("steady"), second.targetGroup("steady"));
        assertFalse(second.kept("changing"));
        assertNotSame(first.targetGroup("changing"), second.targetGroup("changing"));
        assertEquals(1, second.keptCount());
    }

    @Test
    void aDefinitionMovedToAnotherFileIsCompiledAgain() throws Exception {
        conf("{}");
        api("a.json", http("moving", "/moving/", ""));
        GatewaySnapshot first = compile(null);

        Files.move(dir.resolve("apps/a.json"), dir.resolve("apps/b.json"));
        GatewaySnapshot second = compile(first);

        assertFalse(second.kept("moving"), "its problems would name the old file");
    }

    @Test
    void aCertificateReplacedInPlaceCompilesTheApiThatNamesItAgain() throws Exception {
        conf("{\"disable_ports_whitelist\": true}");
        Files.createDirectories(dir.resolve("certs"));
        Files.copy(TestCerts.localhostPem(), dir.resolve("certs/server.pem"));
        Files.copy(TestCerts.localhostKey(), dir.resolve("certs/server.key"));
        api("secure.json", http("secure", "/secure/", """
                "protocol": "https", "listen_port": 8443, "certificates": ["certs/server.pem"],"""));
        api("plain.json", http("plain", "/plain/", ""));
        GatewaySnapshot first = compile(null);
        assertEquals(FileDigest.of(TestCerts.localhostKey()),
                first.inputs("secure").files().get(dir.resolve("certs/server.key").toString()),
                "the key beside the certificate is read too");

        assertTrue(compile(first).kept("secure"), "the same files");
        Files.copy(TestCerts.selfSignedKey(), dir.resolve("certs/server.key"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(TestCerts.selfSignedPem(), dir.resolve("certs/server.pem"), StandardCopyOption.REPLACE_EXISTING);
        GatewaySnapshot rotated = compile(first);

        assertFalse(rotated.kept("secure"), "its JSON is the same, its certificate is not");
        assertTrue(rotated.kept("plain"));
    }

    @Test
    void underAnotherTykConfNothingIsKept() throws Exception {
        conf("{}");
        api("a.json", http("a", "/a/", ""));
        api("b.json", http("b", "/b/", ""));
        GatewaySnapshot first = compile(null);

        conf("{\"proxy_default_timeout\": 5}");
        GatewaySnapshot second = compile(first);

        assertEquals(0, second.keptCount(), "a setting every API is compiled with changed");
        assertEquals(2, second.apis().size());
    }

    @Test
    void anApiWhoseBytesAreUnknownIsNeverKept() throws Exception {
        conf("{}");
        api("a.json", http("a", "/a/", ""));
        LoadReport read = ConfigLoader.load(dir.resolve("tyk.conf"));
        LoadedApi loaded = read.apis().get(0);
        LoadReport unknown = new LoadReport(read.config(), read.confFile(), read.appDir(),
                List.of(new LoadedApi(loaded.definition(), loaded.file())), read.problems());
        GatewaySnapshot first = GatewaySnapshot.compile(unknown, HostHealth.ALWAYS_UP);

        assertEquals(0, GatewaySnapshot.compile(unknown, HostHealth.ByApi.ALWAYS_UP, first).keptCount());
    }

    private GatewaySnapshot compile(GatewaySnapshot previous) throws Exception {
        LoadReport report = ConfigLoader.load(dir.resolve("tyk.conf"));
        return GatewaySnapshot.compile(report, HostHealth.ByApi.ALWAYS_UP, previous);
    }

    private void conf(String json) throws IOException {
        Files.writeString(dir.resolve("tyk.conf"), json);
    }

    private void api(String fileName, String json) throws IOException {
        Files.writeString(Files.createDirectories(dir.resolve("apps")).resolve(fileName), json);
    }

    /** A keyless HTTP API; {@code topFields} (each followed by a comma) are added at the top of the definition. */
    private static String http(String id, String listenPath, String topFields) {
        return """
                {
                  "api_id": "%s", %s
                  "use_keyless": true,
                  "proxy": {"listen_path": "%s", "target_url": "http://127.0.0.1:9000"}
                }
                """.formatted(id, topFields, listenPath);
    }
}
