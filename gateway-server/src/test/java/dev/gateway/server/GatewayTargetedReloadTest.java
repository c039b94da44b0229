package dev.gateway.server;

import static dev.gateway.tcp.support.TcpApis.confAllowingTcp;
import static dev.gateway.tcp.support.TcpApis.tcpApi;
import static dev.gateway.tcp.support.TcpClients.line;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.snapshot.ListenerPlan;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.tcp.support.NamedEcho;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A targeted reload, told which definition files changed (as the folder watch tells it), reads those files only and
 * touches nothing else: the other ports keep their plans and routes, a file that now fails keeps its API's last good
 * version, a deleted file's API goes (and its port with it, when it was the last), and a change that collides with
 * another API is left to a reload of every file, which gives the earlier file the route, as at a start.
 */
class GatewayTargetedReloadTest extends GatewayFixture {

    private int otherPort;
    private Gateway gateway;

    private void start(boolean watch) throws Exception {
        otherPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf().put("disable_ports_whitelist", true);
        if (watch) {
            conf.putObject("watch_config_folders").put("enabled", true).put("settle_ms", 100);
            conf.putObject("policies").put("policy_source", "file").put("policy_path", "policies");
            Files.createDirectories(folder.dir.resolve("policies"));
        }
        folder.writeConf(conf).writeApi("a.json", ConfFolder.api("a", "/a/", upstream.url("/")))
                .writeApi("b.json", ConfFolder.api("b", "/b/", upstream.url("/")))
                .writeApi("other.json", ConfFolder.api("other", "/other/", upstream.url("/"))
                        .put("listen_port", otherPort));
        gateway = startGateway(folder.conf);
    }

    private void reload(String... files) {
        gateway.reload(List.of(files).stream().map(folder.apps::resolve).toList(), false);
    }

    private int status(int port, String path) throws Exception {
        return Clients.get(client, url(port, path)).statusCode();
    }

    private String lastReloadLine() {
        List<String> lines = log.find(Level.INFO, "reloaded: ");
        return lines.get(lines.size() - 1);
    }

    @Test
    void aChangedFileIsReadAloneAndTheOtherPortsKeepTheirPlans() throws Exception {
        start(false);
        ListenerPlan otherBefore = gateway.snapshot().listeners().get(otherPort);
        TestUpstream moved = closer.later(TestUpstream.namingPaths("moved"));

        folder.writeApi("b.json", ConfFolder.api("b", "/b2/", moved.url("/")));
        reload("b.json");

        assertTrue(lastReloadLine().contains("compiled 1, kept 2"), lastReloadLine());
        assertTrue(lastReloadLine().contains("read only [b.json]"), lastReloadLine());
        assertSame(otherBefore, gateway.snapshot().listeners().get(otherPort), "a port the change did not touch");
        assertEquals(moved.bodyFor("/x"), Clients.get(client, url(gateway.gatewayPort(), "/b2/x")).body());
        assertEquals(404, status(gateway.gatewayPort(), "/b/x"));
        assertEquals(200, status(gateway.gatewayPort(), "/a/x"));
        assertEquals(200, status(otherPort, "/other/x"));
    }

    @Test
    void aFileThatNowFailsKeepsItsLastGoodVersionServing() throws Exception {
        start(false);

        folder.writeApi("b.json", "{\"api_id\": \"b\", \"proxy\": ");
        reload("b.json");

        log.assertLogged(Level.WARN, "b.json", "keeps serving its last good version");
        assertEquals(200, status(gateway.gatewayPort(), "/b/x"));
        assertEquals(3, gateway.snapshot().apiCount());
    }

    @Test
    void aDeletedFileTakesItsApiOutAndItsPortWhenItWasTheLastThere() throws Exception {
        start(false);

        folder.removeApi("other.json");
        reload("other.json");

        assertEquals(2, gateway.snapshot().apiCount());
        assertFalse(gateway.ports().containsKey(otherPort));
        assertThrows(ConnectException.class, () -> Clients.get(client, url(otherPort, "/other/x")));
        assertEquals(200, status(gateway.gatewayPort(), "/a/x"));
    }

    @Test
    void aChangeThatCollidesIsLeftToAReloadOfEveryFileWhichGivesTheEarlierFileTheRoute() throws Exception {
        start(false);
        TestUpstream second = closer.later(TestUpstream.namingPaths("second"));

        folder.writeApi("b.json", ConfFolder.api("b", "/a/", second.url("/")));
        reload("b.json");

        log.assertLogged(Level.INFO, "reloading every file");
        log.assertLogged(Level.ERROR, "b.json", "already served by API a in a.json");
        assertEquals(upstream.bodyFor("/x"), Clients.get(client, url(gateway.gatewayPort(), "/a/x")).body());
        assertEquals(2, gateway.snapshot().apiCount());

        // a.json goes: only a reload of every file can tell that b.json may have the route now.
        folder.removeApi("a.json");
        reload("a.json");

        assertEquals(second.bodyFor("/x"), Clients.get(client, url(gateway.gatewayPort(), "/a/x")).body());
    }

    @Test
    void aChangedApiKeepsItsUnchangedChecksAndADeletedOneStopsThem() throws Exception {
        start(false);
        TestUpstream up = closer.later(TestUpstream.namingPaths("up"));
        TestUpstream down = closer.later(TestUpstream.start("down", exchange -> TestUpstream.respond(exchange,
                exchange.getRequestURI().getPath().equals("/health") ? 500 : 200, "down")));
        ObjectNode gated = ConfFolder.api("gated", "/gated/", up.url("/"));
        ObjectNode proxy = ((ObjectNode) gated.get("proxy")).put("enable_load_balancing", true)
                .put("check_host_against_uptime_tests", true);
        proxy.putArray("target_list").add(up.url("/")).add(down.url("/"));
        gated.putObject("uptime_tests").putArray("check_list").addObject().put("url", down.url("/health"));
        folder.writeApi("gated.json", gated);
        reload("gated.json");
        log.awaitLogged(Level.WARN, "api=gated", "is down");
        String metric = "gateway_upstream_up{api=\"gated\"";
        assertTrue(Clients.get(client, url(gateway.gatewayPort(), "/metrics")).body().contains(metric));

        folder.writeApi("gated.json", gated.put("name", "renamed"));
        reload("gated.json");

        assertTrue(lastReloadLine().contains("compiled 1, kept 3"), lastReloadLine());
        for (int i = 0; i < 4; i++) {
            assertEquals(up.bodyFor("/x"), Clients.get(client, url(gateway.gatewayPort(), "/gated/x")).body(),
                    "the same check, kept with what it found: the host stays out");
        }

        folder.removeApi("gated.json");
        reload("gated.json");

        assertFalse(Clients.get(client, url(gateway.gatewayPort(), "/metrics")).body().contains(metric),
                "its check is gone");
    }

    @Test
    void aTcpApiChangedAloneSendsNewConnectionsToItsNewTargetWhileOpenRelaysFlow() throws Exception {
        NamedEcho first = closer.later(new NamedEcho("first"));
        NamedEcho second = closer.later(new NamedEcho("second"));
        int tcpPort = Ports.freePort();
        folder.writeConf(confAllowingTcp(tcpPort))
                .writeApi("a.json", ConfFolder.api("a", "/a/", upstream.url("/")))
                .writeApi("echo.json", tcpApi("echo", tcpPort, "127.0.0.1:" + first.port()));
        gateway = startGateway(folder.conf);
        int bound = gateway.boundPort(tcpPort);

        try (Socket open = new Socket("127.0.0.1", bound)) {
            open.setSoTimeout(10_000);
            assertEquals("first", line(open.getInputStream()));

            folder.writeApi("echo.json", tcpApi("echo", tcpPort, "127.0.0.1:" + second.port()));
            reload("echo.json");

            assertTrue(lastReloadLine().contains("compiled 1, kept 1"), lastReloadLine());
            try (Socket fresh = new Socket("127.0.0.1", bound)) {
                fresh.setSoTimeout(10_000);
                assertEquals("second", line(fresh.getInputStream()), "the same listener, the new target");
            }
            open.getOutputStream().write("still here\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("still here", line(open.getInputStream()), "the open relay keeps its upstream");
        }
        assertEquals(200, status(gateway.gatewayPort(), "/a/x"));
    }

    @Test
    void theFolderWatchReloadsOnlyTheFilesThatChanged() throws Exception {
        start(true);

        Files.writeString(folder.apps.resolve("c.json"), ConfFolder.api("c", "/c/", upstream.url("/")).toString());
        Files.writeString(folder.apps.resolve("notes.txt"), "not a definition");

        log.awaitLogged(Level.INFO, "reloaded: ", "read only [c.json]");
        assertEquals(200, status(gateway.gatewayPort(), "/c/x"));
        assertTrue(lastReloadLine().contains("compiled 1, kept 3"), lastReloadLine());

        Files.delete(folder.apps.resolve("c.json"));
        log.awaitLogged(Level.INFO, "reloaded: 3 APIs", "read only [c.json]");
        assertEquals(404, status(gateway.gatewayPort(), "/c/x"));
        assertTrue(Files.isRegularFile(folder.apps.resolve(Path.of("notes.txt"))));

        // A policy file: the policies are read again, and no API is.
        int reloads = log.find(Level.INFO, "reloaded: ").size();
        Files.writeString(folder.dir.resolve("policies/orders.json"), """
                {"id": "orders", "name": "Orders", "org_id": "",
                 "access_rights": {"a": {"api_id": "a", "versions": ["Default"]}}}""");
        log.awaitLogged(Level.INFO, "reloaded the policies: 1 in service");
        assertEquals(reloads, log.find(Level.INFO, "reloaded: ").size());
    }
}
