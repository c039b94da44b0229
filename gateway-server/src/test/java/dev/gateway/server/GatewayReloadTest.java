package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.testing.TestTls;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link Gateway#reload()}: API files added, removed, broken and moved between ports, and requests that are in
 * flight or on open connections while it happens.
 */
class GatewayReloadTest extends GatewayFixture {

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private ObjectNode openConf() {
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("disable_ports_whitelist", true);
        return conf;
    }

    private ObjectNode api(String id) {
        return ConfFolder.api(id, "/" + id + "/", upstream.url("/"));
    }

    @Test
    void addedApiIsServedAfterReload() throws Exception {
        folder.writeConf(ConfFolder.tykConf()).writeApi("first.json", api("first"));
        Gateway gateway = startGateway(folder.conf);
        int port = gateway.gatewayPort();
        assertEquals(404, Clients.get(client, url(port, "/second/x")).statusCode());

        folder.writeApi("second.json", api("second"));
        gateway.reload();

        HttpResponse<String> second = Clients.get(client, url(port, "/second/x"));
        assertEquals(200, second.statusCode());
        assertEquals(upstream.bodyFor("/x"), second.body());
        assertEquals(200, Clients.get(client, url(port, "/first/x")).statusCode());
        assertEquals(port, gateway.gatewayPort());
    }

    @Test
    void removedApiAnswers404AfterReload() throws Exception {
        folder.writeConf(ConfFolder.tykConf()).writeApi("first.json", api("first"))
                .writeApi("second.json", api("second"));
        Gateway gateway = startGateway(folder.conf);
        int port = gateway.gatewayPort();
        assertEquals(200, Clients.get(client, url(port, "/second/x")).statusCode());

        folder.removeApi("second.json");
        gateway.reload();

        assertEquals(404, Clients.get(client, url(port, "/second/x")).statusCode());
        assertEquals(200, Clients.get(client, url(port, "/first/x")).statusCode());
    }

    @Test
    void removedApiAnswers404OnAConnectionOpenedBeforeTheReload() throws Exception {
        folder.writeConf(ConfFolder.tykConf()).writeApi("gone.json", api("gone"));
        Gateway gateway = startGateway(folder.conf);

        try (RawClient connection = RawClient.connect(gateway.gatewayPort())) {
            assertEquals(200, connection.get("/gone/x", "Host: localhost").status());

            folder.removeApi("gone.json");
            gateway.reload();

            assertEquals(404, connection.get("/gone/x", "Host: localhost").status());
        }
    }

    @Test
    void apiFileThatBecomesInvalidKeepsItsLastGoodVersionServing() throws Exception {
        folder.writeConf(ConfFolder.tykConf()).writeApi("steady.json", api("steady"));
        Gateway gateway = startGateway(folder.conf);
        int port = gateway.gatewayPort();

        folder.writeApi("steady.json", "{\"api_id\": \"steady\", \"proxy\": ");
        gateway.reload();

        HttpResponse<String> response = Clients.get(client, url(port, "/steady/x"));
        assertEquals(200, response.statusCode());
        assertEquals(upstream.bodyFor("/x"), response.body());
        log.assertLogged(Level.ERROR, "steady.json", "invalid JSON");
        log.assertLogged(Level.WARN, "steady.json", "api steady", "last good version");
    }

    @Test
    void lastGoodVersionSurvivesSeveralReloadsAndIsReplacedOnceTheFileIsFixed() throws Exception {
        TestUpstream fixedUpstream = closer.later(TestUpstream.namingPaths("fixed"));
        folder.writeConf(ConfFolder.tykConf()).writeApi("steady.json", api("steady"));
        Gateway gateway = startGateway(folder.conf);
        int port = gateway.gatewayPort();

        folder.writeApi("steady.json", "not json");
        gateway.reload();
        gateway.reload();
        assertEquals(upstream.bodyFor("/x"), Clients.get(client, url(port, "/steady/x")).body());

        folder.writeApi("steady.json", ConfFolder.api("steady", "/steady/", fixedUpstream.url("/")));
        gateway.reload();
        assertEquals(fixedUpstream.bodyFor("/x"), Clients.get(client, url(port, "/steady/x")).body());
    }

    @Test
    void invalidTykConfOnReloadLeavesEverythingServing() throws Exception {
        folder.writeConf(ConfFolder.tykConf()).writeApi("first.json", api("first"));
        Gateway gateway = startGateway(folder.conf);
        int port = gateway.gatewayPort();

        folder.writeConf("{ broken").writeApi("second.json", api("second"));
        gateway.reload();

        assertEquals(200, Clients.get(client, url(port, "/first/x")).statusCode());
        assertEquals(404, Clients.get(client, url(port, "/second/x")).statusCode());
        log.assertLogged(Level.ERROR, "reload refused", "tyk.conf");
    }

    @Test
    void changedListenPortInTykConfWaitsForARestart() throws Exception {
        folder.writeConf(ConfFolder.tykConf()).writeApi("first.json", api("first"));
        Gateway gateway = startGateway(folder.conf);
        int port = gateway.gatewayPort();
        int elsewhere = Ports.freePort();

        ObjectNode moved = ConfFolder.tykConf();
        moved.put("listen_port", elsewhere);
        folder.writeConf(moved).writeApi("second.json", api("second"));
        gateway.reload();

        assertEquals(port, gateway.gatewayPort());
        assertEquals(200, Clients.get(client, url(port, "/hello")).statusCode());
        assertEquals(200, Clients.get(client, url(port, "/second/x")).statusCode());
        assertTrue(Net.refuses(elsewhere), "listen_port changes need a restart");
        log.assertLogged(Level.WARN, "restart");
    }

    @Test
    void apiMovedToAnotherPortOpensItAndClosesTheOldOne() throws Exception {
        int oldPort = Ports.freePort();
        int newPort = Ports.freePort();
        folder.writeConf(openConf()).writeApi("mover.json", api("mover").put("listen_port", oldPort));
        Gateway gateway = startGateway(folder.conf);
        assertEquals(200, Clients.get(client, url(oldPort, "/mover/x")).statusCode());

        folder.writeApi("mover.json", api("mover").put("listen_port", newPort));
        gateway.reload();

        assertEquals(200, Clients.get(client, url(newPort, "/mover/x")).statusCode());
        Net.awaitRefused(oldPort, CLOSE_TIMEOUT);
        assertEquals(-1, gateway.boundPort(oldPort));
        log.assertLogged(Level.INFO, "closed listener", ":" + oldPort);
    }

    @Test
    void oldPortStaysOpenWhileAnotherApiStillUsesIt() throws Exception {
        int sharedPort = Ports.freePort();
        int newPort = Ports.freePort();
        folder.writeConf(openConf())
                .writeApi("mover.json", api("mover").put("listen_port", sharedPort))
                .writeApi("stayer.json", api("stayer").put("listen_port", sharedPort));
        Gateway gateway = startGateway(folder.conf);

        folder.writeApi("mover.json", api("mover").put("listen_port", newPort));
        gateway.reload();

        assertEquals(200, Clients.get(client, url(newPort, "/mover/x")).statusCode());
        assertEquals(404, Clients.get(client, url(sharedPort, "/mover/x")).statusCode());
        assertEquals(200, Clients.get(client, url(sharedPort, "/stayer/x")).statusCode());

        folder.writeApi("stayer.json", api("stayer").put("listen_port", newPort));
        gateway.reload();

        assertEquals(200, Clients.get(client, url(newPort, "/stayer/x")).statusCode());
        Net.awaitRefused(sharedPort, CLOSE_TIMEOUT);
    }

    @Test
    void requestOnAClosedListenersOpenConnectionIsNotRoutedToTheMovedApi() throws Exception {
        int oldPort = Ports.freePort();
        int newPort = Ports.freePort();
        folder.writeConf(openConf()).writeApi("mover.json", api("mover").put("listen_port", oldPort));
        Gateway gateway = startGateway(folder.conf);

        try (RawClient connection = RawClient.connect(oldPort)) {
            assertEquals(200, connection.get("/mover/x", "Host: localhost").status());

            folder.writeApi("mover.json", api("mover").put("listen_port", newPort));
            gateway.reload();
            Net.awaitRefused(oldPort, CLOSE_TIMEOUT);

            // The connection outlives its listener, but the API lives on another port now.
            assertEquals(404, connection.get("/mover/x", "Host: localhost").status());
        }
    }

    @Test
    void requestInFlightDuringReloadCompletes() throws Exception {
        TestUpstream slow = closer.later(TestUpstream.held("slow"));
        folder.writeConf(ConfFolder.tykConf()).writeApi("slow.json", ConfFolder.api("slow", "/slow/", slow.url("/")));
        Gateway gateway = startGateway(folder.conf);
        int port = gateway.gatewayPort();

        CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                HttpRequest.newBuilder(URI.create(url(port, "/slow/pending"))).timeout(Clients.REQUEST_TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("/pending", slow.takeRequest(Clients.REQUEST_TIMEOUT).target());

        // The API the request is using goes away entirely.
        folder.removeApi("slow.json");
        gateway.reload();
        assertEquals(404, Clients.get(client, url(port, "/slow/next")).statusCode());
        assertFalse(inFlight.isDone(), "the upstream still holds the response");

        slow.release();
        HttpResponse<String> response = inFlight.get(Clients.REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(200, response.statusCode());
        assertEquals(slow.bodyFor("/pending"), response.body());
    }

    @Test
    void httpsApiWhoseCertificateDisappearsKeepsItsPortServingOnReload() throws Exception {
        folder.copy(TestCerts.localhostPem(), "certs/localhost.pem")
                .copy(TestCerts.localhostKey(), "certs/localhost.key");
        int securePort = Ports.freePort();
        ObjectNode secure = api("secure").put("listen_port", securePort).put("protocol", "https");
        secure.putArray("certificates").add("certs/localhost.pem");
        folder.writeConf(openConf()).writeApi("secure.json", secure).writeApi("plain.json", api("plain"));
        Gateway gateway = startGateway(folder.conf);
        HttpClient tlsClient = Clients.newClient(TestTls.trustingTestCa());
        assertEquals(200, Clients.get(tlsClient, "https://localhost:" + securePort + "/secure/x").statusCode());

        ObjectNode broken = api("secure").put("listen_port", securePort).put("protocol", "https");
        broken.putArray("certificates").add("certs/missing.pem");
        folder.writeApi("secure.json", broken).writeApi("added.json", api("added"));
        gateway.reload();

        assertEquals(200, Clients.get(tlsClient, "https://localhost:" + securePort + "/secure/x").statusCode());
        assertEquals(200, Clients.get(client, url(gateway.gatewayPort(), "/added/x")).statusCode());
        log.assertLogged(Level.ERROR, "secure.json", "/certificates/0", "missing.pem", "does not exist");
    }
}
