package dev.gateway.server;

import static dev.gateway.server.AuthGatewayTest.admin;
import static dev.gateway.server.AuthGatewayTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.TestUpstream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tyk's Gateway API for APIs and reloads: definitions listed, added, changed and deleted through
 * {@code /tyk/apis}, written to {@code app_path} as Tyk writes them, checked as files are, and served after
 * {@code /tyk/reload}.
 */
class ControlApisTest extends GatewayFixture {

    private Gateway gateway;
    private int port;

    @BeforeEach
    void start() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("secret", AuthGatewayTest.SECRET);
        folder.writeConf(conf).writeApi("first.json", ConfFolder.api("first", "/first/", upstream.url("/")));
        gateway = startGateway(folder.conf);
        port = gateway.gatewayPort();
    }

    private int status(String path) throws Exception {
        return Clients.get(client, url(port, path)).statusCode();
    }

    private static String definition(String id, String listenPath, String target) {
        ObjectNode api = ConfFolder.api(id, listenPath, target);
        if (id.isEmpty()) {
            api.remove("api_id");
        }
        return api.toString();
    }

    @Test
    void anApiAddedThroughTheApiIsServedAfterAReload() throws Exception {
        JsonNode all = json(admin(port, "GET", "/tyk/apis", null));
        assertEquals(1, all.size());
        assertEquals("first", all.get(0).get("api_id").asText());
        assertEquals("/first/", json(admin(port, "GET", "/tyk/apis/first", null)).get("proxy").get("listen_path")
                .asText());
        HttpResponse<String> missing = admin(port, "GET", "/tyk/apis/nope", null);
        assertEquals(404, missing.statusCode());
        assertEquals("{\"status\":\"error\",\"message\":\"API not found\"}", missing.body());

        HttpResponse<String> added = admin(port, "POST", "/tyk/apis", definition("", "/second/", upstream.url("/")));
        assertEquals(200, added.statusCode(), added.body());
        String id = json(added).get("key").asText();
        assertEquals(32, id.length(), "a generated api_id: " + id);
        assertEquals("added", json(added).get("action").asText());
        assertTrue(Files.isRegularFile(dir.resolve("apps").resolve(id + ".json")));
        assertEquals(404, status("/second/x"), "not before a reload");

        HttpResponse<String> reloaded = admin(port, "GET", "/tyk/reload?block=true", null);
        assertEquals("{\"status\":\"ok\",\"message\":\"\"}", reloaded.body());
        assertEquals(200, status("/second/x"));
        assertEquals(2, json(admin(port, "GET", "/tyk/apis", null)).size());
    }

    @Test
    void aDefinitionThatWouldNotLoadIsRefusedAndNothingIsWritten() throws Exception {
        HttpResponse<String> bad = admin(port, "POST", "/tyk/apis", definition("broken", "no-slash",
                upstream.url("/")));
        assertEquals(400, bad.statusCode());
        String message = json(bad).get("message").asText();
        assertTrue(message.contains("broken.json") && message.contains("/proxy/listen_path"), message);
        assertFalse(Files.exists(dir.resolve("apps/broken.json")));
        try (var left = Files.list(dir.resolve("apps"))) {
            assertEquals(1, left.count(), "no temporary file left behind");
        }

        assertEquals("Request malformed", json(admin(port, "POST", "/tyk/apis", "{not json")).get("message")
                .asText());
        assertEquals("Invalid API ID", json(admin(port, "POST", "/tyk/apis", definition("../up", "/x/",
                upstream.url("/")))).get("message").asText());
    }

    @Test
    void anApiIsChangedAndDeletedByTheFileItCameFrom() throws Exception {
        TestUpstream other = closer.later(TestUpstream.namingPaths("other"));
        HttpResponse<String> mismatch = admin(port, "PUT", "/tyk/apis/first", definition("another", "/first/",
                other.url("/")));
        assertEquals(400, mismatch.statusCode());
        assertEquals("Request APIID does not match that in Definition! For Update operations these must match.",
                json(mismatch).get("message").asText());
        assertEquals(404, admin(port, "PUT", "/tyk/apis/nope", definition("nope", "/n/", other.url("/")))
                .statusCode());

        HttpResponse<String> modified = admin(port, "PUT", "/tyk/apis/first", definition("first", "/first/",
                other.url("/")));
        assertEquals("{\"key\":\"first\",\"status\":\"ok\",\"action\":\"modified\"}", modified.body());
        admin(port, "GET", "/tyk/reload?block=true", null);
        assertEquals(other.bodyFor("/x"), Clients.get(client, url(port, "/first/x")).body());

        HttpResponse<String> deleted = admin(port, "DELETE", "/tyk/apis/first", null);
        assertEquals("{\"key\":\"first\",\"status\":\"ok\",\"action\":\"deleted\"}", deleted.body());
        assertFalse(Files.exists(dir.resolve("apps/first.json")));
        admin(port, "GET", "/tyk/reload/group?block=true", null);
        assertEquals(404, status("/first/x"));
    }

    @Test
    void aFileWrittenByHandIsServedAfterAReloadAsked() throws Exception {
        Path apps = dir.resolve("apps");
        Files.writeString(apps.resolve("third.json"), definition("third", "/third/", upstream.url("/")));
        assertEquals(200, admin(port, "GET", "/tyk/reload", null).statusCode());
        admin(port, "GET", "/tyk/reload?block=true", null);
        assertEquals(200, status("/third/x"));
    }
}
