package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.http.support.Clients;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * APIs with their own {@code listen_port}: the extra listener they open, what {@code ports_whitelist} allows, and
 * one protocol family per port.
 */
class GatewayListenersTest extends GatewayFixture {

    private ObjectNode ownPortApi(String id, int port) {
        return ConfFolder.api(id, "/" + id + "/", upstream.url("/")).put("listen_port", port);
    }

    @Test
    void apiWithItsOwnWhitelistedPortIsServedThereAndNotOnTheGatewayPort() throws Exception {
        int ownPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("ports_whitelist").putObject("http").putArray("ports").add(ownPort);
        folder.writeConf(conf)
                .writeApi("shared.json", ConfFolder.api("shared", "/shared/", upstream.url("/")))
                .writeApi("own.json", ownPortApi("own", ownPort));

        Gateway gateway = startGateway(folder.conf);

        assertEquals(Map.of(gateway.gatewayPort(), "http", ownPort, "http"), gateway.ports());
        HttpResponse<String> own = Clients.get(client, url(ownPort, "/own/a"));
        assertEquals(200, own.statusCode());
        assertEquals(upstream.bodyFor("/a"), own.body());
        assertEquals(404, Clients.get(client, url(gateway.gatewayPort(), "/own/a")).statusCode());
        assertEquals(200, Clients.get(client, url(gateway.gatewayPort(), "/shared/a")).statusCode());
        assertEquals(404, Clients.get(client, url(ownPort, "/shared/a")).statusCode());
    }

    @Test
    void whitelistRangeAllowsAPortInside() throws Exception {
        int ownPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("ports_whitelist").putObject("http").putArray("ranges").addObject()
                .put("from", ownPort - 5).put("to", ownPort + 5);
        folder.writeConf(conf).writeApi("ranged.json", ownPortApi("ranged", ownPort));

        startGateway(folder.conf);

        assertEquals(200, Clients.get(client, url(ownPort, "/ranged/")).statusCode());
    }

    @Test
    void apiOnAPortTheWhitelistDoesNotAllowIsNotServed() throws Exception {
        int allowed = Ports.freePort();
        int refused = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("ports_whitelist").putObject("http").putArray("ports").add(allowed);
        folder.writeConf(conf)
                .writeApi("inside.json", ownPortApi("inside", allowed))
                .writeApi("outside.json", ownPortApi("outside", refused));

        Gateway gateway = startGateway(folder.conf);

        assertTrue(Net.refuses(refused), "port " + refused + " must not be opened");
        assertEquals(-1, gateway.boundPort(refused));
        assertEquals(200, Clients.get(client, url(allowed, "/inside/")).statusCode());
        assertEquals(404, Clients.get(client, url(gateway.gatewayPort(), "/outside/")).statusCode());
        log.assertLogged(Level.ERROR, "outside.json", "api outside", "port " + refused, "http", "ports_whitelist");
    }

    @Test
    void withoutAWhitelistNoApiMayOpenItsOwnPort() throws Exception {
        int ownPort = Ports.freePort();
        folder.writeConf(ConfFolder.tykConf()).writeApi("own.json", ownPortApi("own", ownPort));

        startGateway(folder.conf);

        assertTrue(Net.refuses(ownPort), "port " + ownPort + " must not be opened");
        log.assertLogged(Level.ERROR, "api own", "port " + ownPort, "http");
    }

    @Test
    void whitelistIsPerProtocol() throws Exception {
        int ownPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        // Allowed for https only: an http API may not take it.
        conf.putObject("ports_whitelist").putObject("https").putArray("ports").add(ownPort);
        folder.writeConf(conf).writeApi("plain.json", ownPortApi("plain", ownPort));

        startGateway(folder.conf);

        assertTrue(Net.refuses(ownPort), "port " + ownPort + " must not be opened");
        log.assertLogged(Level.ERROR, "api plain", "port " + ownPort, "http");
    }

    @Test
    void disablePortsWhitelistAllowsAnyPort() throws Exception {
        int ownPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("disable_ports_whitelist", true);
        folder.writeConf(conf).writeApi("free.json", ownPortApi("free", ownPort));

        startGateway(folder.conf);

        assertEquals(200, Clients.get(client, url(ownPort, "/free/")).statusCode());
    }

    @Test
    void secondProtocolFamilyOnOnePortIsRefusedNamingBothApis() throws Exception {
        int port = Ports.freePort();
        folder.copy(TestCerts.localhostPem(), "localhost.pem").copy(TestCerts.localhostKey(), "localhost.key");
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("disable_ports_whitelist", true);
        ObjectNode secure = ownPortApi("secure", port).put("protocol", "https");
        secure.putArray("certificates").add("localhost.pem");
        // Files load in name order: a-plain claims the port first.
        folder.writeConf(conf)
                .writeApi("a-plain.json", ownPortApi("plain", port))
                .writeApi("b-secure.json", secure);

        Gateway gateway = startGateway(folder.conf);

        assertEquals("http", gateway.ports().get(port));
        assertEquals(200, Clients.get(client, url(port, "/plain/")).statusCode());
        assertEquals(404, Clients.get(client, url(port, "/secure/")).statusCode());
        log.assertLogged(Level.ERROR, "b-secure.json", "api secure", "port " + port, "https", "plain",
                "a-plain.json");
    }
}
