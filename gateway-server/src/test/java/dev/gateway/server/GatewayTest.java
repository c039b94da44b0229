package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.CapturedLog;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.TestUpstream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** An in-process {@link Gateway}: API files that fail to load, and the status endpoint. */
class GatewayTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();
    private final HttpClient client = Clients.newClient();
    private ConfFolder folder;
    private CapturedLog log;

    @BeforeEach
    void setUp() {
        folder = new ConfFolder(dir);
        log = closer.later(CapturedLog.attach());
    }

    private static String url(Gateway gateway, String path) {
        return "http://127.0.0.1:" + gateway.gatewayPort() + path;
    }

    private Gateway startGateway(Path conf) throws Exception {
        return GatewayFixture.startGateway(closer, conf);
    }

    @Test
    void apiFileWithInvalidJsonIsSkippedWithAnErrorWhileTheOthersServe() throws Exception {
        TestUpstream upstream = closer.later(TestUpstream.namingPaths("good"));
        folder.writeConf(ConfFolder.tykConf())
                .writeApi("good.json", ConfFolder.api("good", "/good/", upstream.url("/")))
                .writeApi("broken.json", "{\"api_id\": \"broken\", \"use_keyless\": true, \"proxy\": {\"listen_path\": "
                        + "\"/broken/\", \"target_url\": \"" + upstream.url("/") + "\"}");

        Gateway gateway = startGateway(folder.conf);

        HttpResponse<String> good = Clients.get(client, url(gateway, "/good/items"));
        assertEquals(200, good.statusCode());
        assertEquals(upstream.bodyFor("/items"), good.body());
        assertEquals(404, Clients.get(client, url(gateway, "/broken/items")).statusCode());
        log.assertLogged(Level.ERROR, "broken.json", "invalid JSON");
        assertEquals(1, gateway.snapshot().apis().size());
    }

    @Test
    void apiFileWithAWrongTypeIsSkippedNamingTheField() throws Exception {
        TestUpstream upstream = closer.later(TestUpstream.namingPaths("good"));
        ObjectNode wrong = ConfFolder.api("wrong", "/wrong/", upstream.url("/"));
        wrong.put("listen_port", "not a port");
        folder.writeConf(ConfFolder.tykConf())
                .writeApi("good.json", ConfFolder.api("good", "/good/", upstream.url("/")))
                .writeApi("wrong.json", wrong);

        Gateway gateway = startGateway(folder.conf);

        assertEquals(200, Clients.get(client, url(gateway, "/good/")).statusCode());
        assertEquals(404, Clients.get(client, url(gateway, "/wrong/")).statusCode());
        log.assertLogged(Level.ERROR, "wrong.json", "/listen_port");
    }

    @Test
    void h2cApiTurnsOnHttp2ForItsOwnPortOnly() throws Exception {
        TestUpstream upstream = closer.later(TestUpstream.namingPaths("up"));
        int h2cPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("ports_whitelist").putObject("h2c").putArray("ports").add(h2cPort);
        ObjectNode h2c = ConfFolder.api("h2c", "/h2c/", upstream.url("/")).put("protocol", "h2c")
                .put("listen_port", h2cPort);
        folder.writeConf(conf)
                .writeApi("h2c.json", h2c)
                .writeApi("plain.json", ConfFolder.api("plain", "/plain/", upstream.url("/")));
        Gateway gateway = startGateway(folder.conf);
        HttpClient http2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();

        HttpResponse<String> onH2cPort = Clients.get(http2,
                "http://127.0.0.1:" + gateway.boundPort(h2cPort) + "/h2c/x");
        HttpResponse<String> onGatewayPort = Clients.get(http2, url(gateway, "/plain/x"));

        assertEquals(200, onH2cPort.statusCode());
        assertEquals(HttpClient.Version.HTTP_2, onH2cPort.version(), "the h2c API's port upgrades");
        assertEquals(200, onGatewayPort.statusCode());
        assertEquals(HttpClient.Version.HTTP_1_1, onGatewayPort.version(), "enable_http2 is off elsewhere");
    }

    @Test
    void helloAnswersPassAsJsonOnTheGatewayPort() throws Exception {
        folder.writeConf(ConfFolder.tykConf());
        Gateway gateway = startGateway(folder.conf);

        HttpResponse<String> hello = Clients.get(client, url(gateway, "/hello"));

        assertEquals(200, hello.statusCode());
        assertTrue(hello.headers().firstValue("content-type").orElse("").startsWith("application/json"),
                hello.headers().toString());
        JsonNode document = ConfFolder.JSON.readTree(hello.body());
        assertEquals("pass", document.path("status").asText(), hello.body());
    }

    @Test
    void healthCheckEndpointNameRenamesTheStatusEndpoint() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("health_check_endpoint_name", "livez");
        folder.writeConf(conf);
        Gateway gateway = startGateway(folder.conf);

        HttpResponse<String> livez = Clients.get(client, url(gateway, "/livez"));

        assertEquals(200, livez.statusCode());
        assertEquals("pass", ConfFolder.JSON.readTree(livez.body()).path("status").asText(), livez.body());
        assertEquals(404, Clients.get(client, url(gateway, "/hello")).statusCode());
    }

    @Test
    void statusEndpointIsNotServedOnAnApisOwnPort() throws Exception {
        TestUpstream upstream = closer.later(TestUpstream.namingPaths("own"));
        int ownPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("disable_ports_whitelist", true);
        folder.writeConf(conf).writeApi("own.json", ConfFolder.api("own", "/own/", upstream.url("/"))
                .put("listen_port", ownPort));
        Gateway gateway = startGateway(folder.conf);
        assertEquals(ownPort, gateway.boundPort(ownPort));

        assertEquals(404, Clients.get(client, "http://127.0.0.1:" + ownPort + "/hello").statusCode());
        assertEquals(200, Clients.get(client, "http://127.0.0.1:" + ownPort + "/own/x").statusCode());
        assertEquals(200, Clients.get(client, url(gateway, "/hello")).statusCode());
    }
}
