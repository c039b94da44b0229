package dev.gateway.server;

import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.testing.TestTls;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A reload compiles only the APIs whose inputs changed. An unchanged API keeps its compiled form and the state in it
 * (its round robin goes on, its open circuit breaker stays open, its view of the health checks stays live), a
 * changed one serves its new definition at once, and a file an API names that changed in place compiles that API
 * again though its JSON did not change. Policies and {@code tyk.conf} are no compile input (policies are read on
 * every request, {@code tyk.conf} waits for a restart): changing them compiles nothing, and kept APIs see the
 * policies at once.
 *
 * <p>The first two cases run under both kinds of reload: the full one, which reads every file, and the targeted one,
 * told which file changed.
 *
 * <p>Round robin shows it from outside: a kept route keeps its target group, whose turn goes on from where it was,
 * while a compiled one starts again from the first target.
 */
class GatewayReloadOneApiTest extends GatewayFixture {

    private TestUpstream a;
    private TestUpstream b;

    private void startTwoTargets() throws Exception {
        a = closer.later(TestUpstream.namingPaths("a"));
        b = closer.later(TestUpstream.namingPaths("b"));
    }

    /** A keyless API balanced over the two targets, {@code a} first. */
    private ObjectNode balanced(String id) {
        ObjectNode api = ConfFolder.api(id, "/" + id + "/", a.url("/"));
        ObjectNode proxy = (ObjectNode) api.get("proxy");
        proxy.put("enable_load_balancing", true);
        proxy.putArray("target_list").add(a.url("/")).add(b.url("/"));
        return api;
    }

    private String body(HttpClient http, String url) throws Exception {
        HttpResponse<String> response = Clients.get(http, url);
        assertEquals(200, response.statusCode(), response::body);
        return response.body();
    }

    private String body(int port, String path) throws Exception {
        return body(client, url(port, path));
    }

    /** The counts of the last reload's line. */
    String lastReload() {
        List<String> reloads = log.find(Level.INFO, "reloaded: ");
        assertTrue(!reloads.isEmpty(), "no reload logged");
        String line = reloads.get(reloads.size() - 1);
        int at = line.indexOf("compiled ");
        return line.substring(at, line.indexOf(':', at));
    }

    /** A full reload (SIGHUP, {@code /tyk/reload}), or a targeted one told which file changed (the folder watch). */
    enum Reload {
        FULL, TARGETED;

        void run(Gateway gateway, Path changedFile) {
            if (this == FULL) {
                gateway.reload();
            } else {
                gateway.reload(List.of(changedFile), false);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Reload.class)
    void anUnchangedApiKeepsItsRoundRobinAndItsOpenBreakerWhileTheChangedOneServesItsNewTarget(Reload reload)
            throws Exception {
        startTwoTargets();
        TestUpstream before = closer.later(TestUpstream.namingPaths("before"));
        TestUpstream after = closer.later(TestUpstream.namingPaths("after"));
        AtomicInteger failingCalls = new AtomicInteger();
        TestUpstream failing = closer.later(TestUpstream.start("failing", exchange -> {
            failingCalls.incrementAndGet();
            TestUpstream.respond(exchange, 500, "failed");
        }));
        folder.writeConf(ConfFolder.tykConf()).writeApi("balanced.json", balanced("balanced"))
                .writeApi("flaky.json", breaker(failing, "flaky"))
                .writeApi("changing.json", ConfFolder.api("changing", "/changing/", before.url("/")));
        Gateway gateway = startGateway(folder.conf);
        int port = gateway.gatewayPort();
        assertEquals(a.bodyFor("/x"), body(port, "/balanced/x"));
        assertEquals(500, Clients.get(client, url(port, "/flaky/orders")).statusCode());
        assertEquals(500, Clients.get(client, url(port, "/flaky/orders")).statusCode());
        log.awaitLogged(Level.WARN, "api=flaky", "circuit breaker open");
        assertEquals(503, Clients.get(client, url(port, "/flaky/orders")).statusCode());

        folder.writeApi("changing.json", ConfFolder.api("changing", "/changing/", after.url("/")));
        reload.run(gateway, folder.apps.resolve("changing.json"));

        assertEquals("compiled 1, kept 2", lastReload());
        assertEquals(after.bodyFor("/x"), body(port, "/changing/x"), "the changed API serves its new target");
        assertEquals(b.bodyFor("/x"), body(port, "/balanced/x"), "round robin goes on: the route was kept");
        assertEquals(503, Clients.get(client, url(port, "/flaky/orders")).statusCode(), "the breaker stays open");

        // The breaker's API changes, but not the breaker's entry: compiled again, it finds its breaker, still open.
        folder.writeApi("flaky.json", breaker(failing, "flaky").put("name", "renamed"));
        reload.run(gateway, folder.apps.resolve("flaky.json"));

        assertEquals("compiled 1, kept 2", lastReload());
        assertEquals(503, Clients.get(client, url(port, "/flaky/orders")).statusCode(),
                "a breaker kept by a reload is not forgotten by the next");
        assertEquals(2, failingCalls.get(), "an open breaker asks no upstream");
    }

    @ParameterizedTest
    @EnumSource(Reload.class)
    void aHostDownInAnUnchangedApiStaysOutAfterAReloadAndComesBackOnItsCheck(Reload reload) throws Exception {
        AtomicInteger health = new AtomicInteger(500);
        TestUpstream up = closer.later(TestUpstream.namingPaths("up"));
        TestUpstream flapping = closer.later(TestUpstream.start("flapping", exchange -> {
            boolean check = exchange.getRequestURI().getPath().equals("/health");
            TestUpstream.respond(exchange, check ? health.get() : 200, "flapping");
        }));
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("uptime_tests").putObject("config").put("failure_trigger_sample_size", 1).put("time_wait", 1);
        ObjectNode gated = ConfFolder.api("gated", "/gated/", up.url("/"));
        ObjectNode proxy = ((ObjectNode) gated.get("proxy")).put("enable_load_balancing", true)
                .put("check_host_against_uptime_tests", true);
        proxy.putArray("target_list").add(up.url("/")).add(flapping.url("/"));
        ArrayNode checks = gated.putObject("uptime_tests").putArray("check_list");
        checks.addObject().put("url", flapping.url("/health"));
        folder.writeConf(conf).writeApi("gated.json", gated).writeApi("other.json", ConfFolder.api("other", "/other/",
                upstream.url("/")));
        Gateway gateway = startGateway(folder.conf);
        int port = gateway.gatewayPort();
        log.awaitLogged(Level.WARN, "api=gated", "is down");

        folder.writeApi("other.json", ConfFolder.api("other", "/other/", upstream.url("/")).put("name", "changed"));
        reload.run(gateway, folder.apps.resolve("other.json"));

        assertEquals("compiled 1, kept 1", lastReload());
        for (int i = 0; i < 4; i++) {
            assertEquals(up.bodyFor("/x"), body(port, "/gated/x"), "the host that is down stays out");
        }
        health.set(200);
        log.awaitLogged(Level.INFO, "api=gated", "is up again");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            seen.add(body(port, "/gated/x"));
        }
        assertEquals(Set.of(up.bodyFor("/x"), "flapping"), seen, "the kept route reads the checks as they run");
    }

    @Test
    void aCertificateReplacedInPlaceCompilesItsApiAndItsPortAgainThoughTheirJsonIsUnchanged() throws Exception {
        startTwoTargets();
        folder.copy(TestCerts.localhostPem(), "certs/server.pem").copy(TestCerts.localhostKey(), "certs/server.key");
        int securePort = Ports.freePort();
        ObjectNode secure = balanced("secure").put("listen_port", securePort).put("protocol", "https");
        secure.putArray("certificates").add("certs/server.pem");
        folder.writeConf(ConfFolder.tykConf().put("disable_ports_whitelist", true)).writeApi("secure.json", secure)
                .writeApi("plain.json", balanced("plain"));
        Gateway gateway = startGateway(folder.conf);
        String secureUrl = "https://localhost:" + securePort + "/secure/x";
        assertEquals(a.bodyFor("/x"), body(Clients.newClient(TestTls.trustingTestCa()), secureUrl));
        assertEquals(a.bodyFor("/x"), body(gateway.gatewayPort(), "/plain/x"));

        Files.copy(TestCerts.selfSignedKey(), folder.dir.resolve("certs/server.key"), REPLACE_EXISTING);
        Files.copy(TestCerts.selfSignedPem(), folder.dir.resolve("certs/server.pem"), REPLACE_EXISTING);
        gateway.reload();

        assertEquals("compiled 1, kept 1", lastReload());
        // A new client that trusts only the new certificate: the port serves it.
        HttpClient trustingNew = Clients.newClient(TestTls.trusting(TestCerts.selfSignedPem()));
        assertEquals(a.bodyFor("/x"), body(trustingNew, secureUrl), "compiled again: its turn starts over");
        assertEquals(b.bodyFor("/x"), body(gateway.gatewayPort(), "/plain/x"), "kept: its turn goes on");
    }

    @Test
    void aChangedPolicyOrTykConfCompilesNothingAndKeptApisSeeThePolicyAtOnce() throws Exception {
        startTwoTargets();
        ObjectNode conf = ConfFolder.tykConf().put("secret", AuthGatewayTest.SECRET);
        conf.putObject("policies").put("policy_source", "file").put("policy_path", "policies");
        Files.createDirectories(folder.dir.resolve("policies"));
        Files.writeString(folder.dir.resolve("policies/orders.json"), """
                {"id": "orders", "name": "Orders", "org_id": "", "partitions": {"acl": true},
                 "access_rights": {"keyed": {"api_id": "keyed", "api_name": "keyed", "versions": ["Default"]}}}""");
        ObjectNode keyed = ConfFolder.api("keyed", "/keyed/", upstream.url("/")).put("use_keyless", false);
        folder.writeConf(conf).writeApi("keyed.json", keyed).writeApi("balanced.json", balanced("balanced"));
        Gateway gateway = startGateway(folder.conf);
        int port = gateway.gatewayPort();
        assertEquals(200, AuthGatewayTest.admin(port, "POST", "/tyk/keys/orders-key",
                "{\"apply_policies\": [\"orders\"]}").statusCode());
        assertEquals(200, keyedGet(port).statusCode());
        assertEquals(a.bodyFor("/x"), body(port, "/balanced/x"));

        Files.writeString(folder.dir.resolve("policies/orders.json"), """
                {"id": "orders", "name": "Orders", "org_id": "", "partitions": {"acl": true},
                 "access_rights": {"balanced": {"api_id": "balanced", "versions": ["Default"]}}}""");
        folder.writeConf(conf.put("proxy_default_timeout", 7));
        gateway.reload();

        assertEquals("compiled 0, kept 2", lastReload());
        log.assertLogged(Level.WARN, "restart");
        assertEquals(403, keyedGet(port).statusCode(), "the kept API reads the policies as they are now");
        assertEquals(b.bodyFor("/x"), body(port, "/balanced/x"), "round robin goes on: nothing was compiled");
    }

    private HttpResponse<String> keyedGet(int port) throws Exception {
        return client.send(Clients.request(URI.create(url(port, "/keyed/x"))).header("Authorization", "orders-key")
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** An API whose {@code GET /orders} has a breaker that opens on two failures and stays open a minute. */
    private static ObjectNode breaker(TestUpstream target, String id) {
        ObjectNode api = ConfFolder.api(id, "/" + id + "/", target.url("/"));
        EndpointPluginsTest.extendedPaths(api).putArray("circuit_breakers").addObject().put("path", "/orders")
                .put("method", "GET").put("threshold_percent", 0.5).put("samples", 2)
                .put("return_to_service_after", 60).put("disable_half_open_state", false);
        return api;
    }
}
