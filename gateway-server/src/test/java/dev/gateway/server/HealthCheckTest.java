package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.testing.RedisServer;
import dev.gateway.healthcheck.HealthMonitor;
import dev.gateway.http.support.Clients;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Uptime tests through the whole gateway: checks against real servers gate round robin, for TCP and HTTP APIs.
 * Checks run every second ({@code time_wait} 1) and a host goes down after two failures.
 */
class HealthCheckTest extends GatewayFixture {

    private static final int TIME_WAIT_SECONDS = 1;
    private static final int SAMPLE_SIZE = 2;

    private ObjectNode conf(int... tcpPorts) {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("uptime_tests").putObject("config")
                .put("failure_trigger_sample_size", SAMPLE_SIZE)
                .put("time_wait", TIME_WAIT_SECONDS);
        ArrayNode ports = conf.putObject("ports_whitelist").putObject("tcp").putArray("ports");
        for (int port : tcpPorts) {
            ports.add(port);
        }
        return conf;
    }

    /**
     * A definition shaped like Tyk's Redis example (bare host:port urls, no check protocol), rewritten with an
     * api_id and the fields under proxy, for the tests that change parts of it.
     */
    private static ObjectNode redisApi(int listenPort, int... redisPorts) {
        ObjectNode api = ConfFolder.JSON.createObjectNode();
        api.put("api_id", "redis");
        api.put("name", "redis");
        api.put("protocol", "tcp");
        api.put("listen_port", listenPort);
        ObjectNode proxy = api.putObject("proxy");
        proxy.put("enable_load_balancing", true);
        proxy.put("check_host_against_uptime_tests", true);
        ArrayNode targets = proxy.putArray("target_list");
        ArrayNode checks = api.putObject("uptime_tests").putArray("check_list");
        for (int port : redisPorts) {
            targets.add("127.0.0.1:" + port);
            ObjectNode check = checks.addObject();
            check.put("url", "127.0.0.1:" + port);
            ArrayNode commands = check.putArray("commands");
            commands.addObject().put("name", "send").put("message", "PING\r\n");
            commands.addObject().put("name", "expect").put("message", "+PONG");
            commands.addObject().put("name", "send").put("message", "info  replication\r\n");
            commands.addObject().put("name", "expect").put("message", "role:master");
            commands.addObject().put("name", "send").put("message", "QUIT\r\n");
            commands.addObject().put("name", "send").put("message", "+OK");
        }
        return api;
    }

    /** The port of the Redis server a new connection through the gateway reaches. */
    private static int redisPortBehind(RedisClient client) {
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            String server = connection.sync().info("server");
            int at = server.indexOf("tcp_port:");
            return Integer.parseInt(server.substring(at + "tcp_port:".length()).lines().findFirst().orElseThrow()
                    .trim());
        }
    }

    /**
     * Tyk's Redis example as docs/health-checks.md prints it, verbatim but for its two hosts and its listen port,
     * which become the local redis-servers and a free port: only loopback is ever connected to.
     */
    private static String redisExampleFromTheDocs(int listenPort, int firstPort, int secondPort) {
        String text = DocsExamples.byFile("health-checks.md", "redis.json").text();
        assertTrue(text.contains("\"listen_port\": 6379,"), text);
        String local = text.replace("192.168.10.1:6379", "127.0.0.1:" + firstPort)
                .replace("192.168.10.2:6379", "127.0.0.1:" + secondPort)
                .replace("\"listen_port\": 6379,", "\"listen_port\": " + listenPort + ",");
        assertFalse(local.contains("192.168."), local);
        assertFalse(local.contains("api_id"), "the example has no api_id, and the test adds none");
        return local;
    }

    @Test
    void tyksRedisExampleFromTheDocsReachesOnlyTheMasterAndFollowsAFailover() throws Exception {
        Logger monitor = (Logger) LoggerFactory.getLogger(HealthMonitor.class);
        monitor.setLevel(Level.DEBUG);
        closer.later(() -> monitor.setLevel(null));
        RedisServer first = closer.later(RedisServer.start(dir));
        RedisServer second = closer.later(RedisServer.start(dir, "--replicaof", "127.0.0.1",
                String.valueOf(first.port())));
        int port = Ports.freePort();
        folder.writeConf(conf(port)).writeApi("redis.json", redisExampleFromTheDocs(port, first.port(),
                second.port()));
        Gateway gateway = startGateway(folder.conf);
        // Its id comes from the file name and its top-level fields reach proxy, with no error on the way.
        assertEquals(List.of(), gateway.snapshot().problems().stream().filter(p -> p.isError()).toList());
        RedisClient throughGateway = RedisClient.create(RedisURI.create("127.0.0.1", gateway.boundPort(port)));
        closer.later(throughGateway::shutdown);

        // The replica fails its first check ("role:master" never comes) and is out at once; the master passes
        // its first check, which must come before the failover or it would count as the first result instead.
        log.awaitLogged(Level.WARN, "api=redis", "host=127.0.0.1:" + second.port(), "is down", "role:master");
        log.awaitLogged(Level.DEBUG, "api=redis", "host=127.0.0.1:" + first.port(), "is up (first check)");
        for (int i = 0; i < 6; i++) {
            assertEquals(first.port(), redisPortBehind(throughGateway), "connection " + i + " reached the replica");
        }

        // Failover: the replica becomes the master and the old master its replica.
        RedisClient direct = RedisClient.create(RedisURI.create("127.0.0.1", second.port()));
        closer.later(direct::shutdown);
        try (StatefulRedisConnection<String, String> promoted = direct.connect()) {
            promoted.sync().replicaofNoOne();
        }
        RedisClient oldMaster = RedisClient.create(RedisURI.create("127.0.0.1", first.port()));
        closer.later(oldMaster::shutdown);
        long failedOver = System.nanoTime();
        try (StatefulRedisConnection<String, String> demoted = oldMaster.connect()) {
            demoted.sync().replicaof("127.0.0.1", second.port());
        }

        log.awaitLogged(Level.WARN, "api=redis", "host=127.0.0.1:" + first.port(), "is down after 2 failed checks");
        log.awaitLogged(Level.INFO, "api=redis", "host=127.0.0.1:" + second.port(), "is up again");
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failedOver);
        // time_wait x failure_trigger_sample_size, plus jitter (a tenth) and the checks' own time.
        assertTrue(tookMillis < (TIME_WAIT_SECONDS * SAMPLE_SIZE + 2) * 1000L, "took " + tookMillis + " ms");
        for (int i = 0; i < 6; i++) {
            assertEquals(second.port(), redisPortBehind(throughGateway), "connection " + i + " reached the old master");
        }
    }

    @Test
    void tcpApiWhoseHostsAreAllDownClosesClientsPromptly() throws Exception {
        RedisServer replica = closer.later(RedisServer.start(dir, "--replicaof", "127.0.0.1", "1"));
        int port = Ports.freePort();
        folder.writeConf(conf(port)).writeApi("redis.json", redisApi(port, replica.port()));
        Gateway gateway = startGateway(folder.conf);
        log.awaitLogged(Level.WARN, "api=redis", "host=127.0.0.1:" + replica.port(), "is down");

        try (Socket redisClient = new Socket("127.0.0.1", gateway.boundPort(port))) {
            redisClient.setSoTimeout(10_000);
            assertEquals(-1, redisClient.getInputStream().read());
        }
        log.awaitLogged(Level.WARN, "api=redis", "every host is down; closing");
    }

    /** An HTTP upstream whose /health answers with a status the test sets; other paths name the upstream. */
    private static final class SwitchableUpstream implements AutoCloseable {
        private final HttpServer server;
        private final AtomicInteger healthStatus = new AtomicInteger(200);
        private final AtomicInteger checks = new AtomicInteger();

        SwitchableUpstream(String name) throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
            server.createContext("/", exchange -> {
                boolean health = exchange.getRequestURI().getPath().equals("/health");
                if (health) {
                    checks.incrementAndGet();
                }
                byte[] body = (health ? "health" : name).getBytes(StandardCharsets.US_ASCII);
                exchange.sendResponseHeaders(health ? healthStatus.get() : 200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static ObjectNode httpApi(SwitchableUpstream... upstreams) {
        return httpApi("web", upstreams);
    }

    private static ObjectNode httpApi(String id, SwitchableUpstream... upstreams) {
        ObjectNode api = ConfFolder.JSON.createObjectNode();
        api.put("api_id", id);
        api.put("name", id);
        api.put("use_keyless", true);
        ObjectNode proxy = api.putObject("proxy");
        proxy.put("listen_path", "/" + id + "/");
        proxy.put("strip_listen_path", true);
        proxy.put("enable_load_balancing", true);
        proxy.put("check_host_against_uptime_tests", true);
        ArrayNode targets = proxy.putArray("target_list");
        ArrayNode checks = api.putObject("uptime_tests").putArray("check_list");
        for (SwitchableUpstream upstream : upstreams) {
            targets.add("http://127.0.0.1:" + upstream.port());
            checks.addObject().put("url", "http://127.0.0.1:" + upstream.port() + "/health").put("timeout", 500);
        }
        return api;
    }

    private Set<String> upstreamsAnswering(Gateway gateway, int requests) throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> response = Clients.get(client, url(gateway.gatewayPort(), "/web/x"));
            assertEquals(200, response.statusCode(), response::body);
            seen.add(response.body());
        }
        return seen;
    }

    @Test
    void httpUpstreamAnswering500IsTakenOutAndPutBack() throws Exception {
        SwitchableUpstream a = closer.later(new SwitchableUpstream("a"));
        SwitchableUpstream b = closer.later(new SwitchableUpstream("b"));
        folder.writeConf(conf()).writeApi("web.json", httpApi(a, b));
        Gateway gateway = startGateway(folder.conf);
        assertEquals(Set.of("a", "b"), upstreamsAnswering(gateway, 4));

        b.healthStatus.set(500);
        log.awaitLogged(Level.WARN, "api=web", "host=127.0.0.1:" + b.port(), "is down", "status 500");
        assertEquals(Set.of("a"), upstreamsAnswering(gateway, 6));

        b.healthStatus.set(200);
        log.awaitLogged(Level.INFO, "api=web", "host=127.0.0.1:" + b.port(), "is up again");
        assertEquals(Set.of("a", "b"), upstreamsAnswering(gateway, 4));
    }

    @Test
    void httpApiWhoseHostsAreAllDownAnswers503() throws Exception {
        SwitchableUpstream a = closer.later(new SwitchableUpstream("a"));
        a.healthStatus.set(503);
        folder.writeConf(conf()).writeApi("web.json", httpApi(a));
        Gateway gateway = startGateway(folder.conf);
        log.awaitLogged(Level.WARN, "api=web", "is down", "status 503");

        HttpResponse<String> response = Clients.get(client, url(gateway.gatewayPort(), "/web/x"));
        assertEquals(503, response.statusCode());
        assertTrue(response.body().contains("all hosts are down"), response.body());
    }

    /** Waits until {@code upstream} has been checked {@code more} more times than {@code since}. */
    private static void awaitChecks(SwitchableUpstream upstream, int since, int more) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (upstream.checks.get() < since + more) {
            assertTrue(System.nanoTime() < deadline, "the checks stopped: " + upstream.checks.get());
            Thread.sleep(50); // polling a counter that another process's schedule moves
        }
    }

    @Test
    void reloadStopsTheChecksOfRemovedTargetsAndStartsNewOnes() throws Exception {
        SwitchableUpstream kept = closer.later(new SwitchableUpstream("kept"));
        SwitchableUpstream removed = closer.later(new SwitchableUpstream("removed"));
        SwitchableUpstream added = closer.later(new SwitchableUpstream("added"));
        folder.writeConf(conf()).writeApi("web.json", httpApi(kept, removed));
        Gateway gateway = startGateway(folder.conf);
        awaitChecks(kept, 0, 1);
        awaitChecks(removed, 0, 1);

        folder.writeApi("web.json", httpApi(kept)).writeApi("more.json", httpApi("more", added));
        gateway.reload();
        int removedChecks = removed.checks.get();
        int keptChecks = kept.checks.get();

        awaitChecks(added, 0, 1);
        // Two more rounds of the kept check: the removed one would have run in them too.
        awaitChecks(kept, keptChecks, 2);
        assertEquals(removedChecks, removed.checks.get(), "a target removed by the reload is still checked");
    }

    /** A registry answering Consul's catalog shape, with the hosts the test sets. */
    private static final class Registry implements AutoCloseable {
        private final HttpServer server;
        private volatile String answer = "[]";

        Registry() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
            server.createContext("/v1/catalog/service/web", exchange -> {
                byte[] body = answer.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
        }

        void serve(SwitchableUpstream... upstreams) {
            StringBuilder list = new StringBuilder("[");
            for (SwitchableUpstream upstream : upstreams) {
                list.append(list.length() > 1 ? "," : "").append("{\"Address\": \"127.0.0.1\", \"ServicePort\": ")
                        .append(upstream.port()).append('}');
            }
            answer = list.append(']').toString();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/catalog/service/web";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void serviceDiscoveryFeedsTheTargetListAndKeepsTheLastGoodOne() throws Exception {
        SwitchableUpstream a = closer.later(new SwitchableUpstream("a"));
        SwitchableUpstream b = closer.later(new SwitchableUpstream("b"));
        Registry registry = closer.later(new Registry());
        registry.serve(a);
        ObjectNode api = httpApi(a);
        ObjectNode proxy = (ObjectNode) api.get("proxy");
        proxy.put("check_host_against_uptime_tests", false);
        proxy.putArray("target_list").add(upstream.url("/"));
        api.remove("uptime_tests");
        proxy.putObject("service_discovery")
                .put("use_discovery_service", true)
                .put("query_endpoint", registry.url())
                .put("data_path", "Address")
                .put("port_data_path", "ServicePort")
                .put("use_target_list", true)
                .put("endpoint_returns_list", true)
                .put("cache_timeout", 1);
        folder.writeConf(conf()).writeApi("web.json", api);
        Gateway gateway = startGateway(folder.conf);

        log.awaitLogged(Level.INFO, "api=web", "service discovery: targets now [http://127.0.0.1:" + a.port());
        assertEquals(Set.of("a"), upstreamsAnswering(gateway, 4));

        registry.serve(a, b);
        log.awaitLogged(Level.INFO, "api=web", "targets now [http://127.0.0.1:" + a.port() + ", http://127.0.0.1:"
                + b.port());
        assertEquals(Set.of("a", "b"), upstreamsAnswering(gateway, 4));

        // A broken answer keeps the last good list, and says so.
        registry.answer = "<html>oops</html>";
        log.awaitLogged(Level.WARN, "api=web", "service discovery", "failed, keeping the last good list", "not JSON");
        assertEquals(Set.of("a", "b"), upstreamsAnswering(gateway, 4));

        // A reload keeps the discovered list instead of falling back to target_list.
        gateway.reload();
        assertEquals(Set.of("a", "b"), upstreamsAnswering(gateway, 4));
    }

    @Test
    void tcpApisUseServiceDiscoveryTooAndOpenConnectionsOutliveAChange() throws Exception {
        RedisServer first = closer.later(RedisServer.start(dir));
        RedisServer second = closer.later(RedisServer.start(dir));
        Registry registry = closer.later(new Registry());
        registry.answer = "[{\"Address\": \"127.0.0.1\", \"ServicePort\": " + first.port() + "}]";
        int port = Ports.freePort();
        ObjectNode api = redisApi(port, Ports.freePort());
        api.remove("uptime_tests");
        ((ObjectNode) api.get("proxy")).putObject("service_discovery")
                .put("use_discovery_service", true)
                .put("query_endpoint", registry.url())
                .put("data_path", "Address")
                .put("port_data_path", "ServicePort")
                .put("use_target_list", true)
                .put("endpoint_returns_list", true)
                .put("cache_timeout", 1);
        folder.writeConf(conf(port)).writeApi("redis.json", api);
        Gateway gateway = startGateway(folder.conf);
        log.awaitLogged(Level.INFO, "api=redis", "targets now [tcp://127.0.0.1:" + first.port() + "]");
        RedisClient throughGateway = RedisClient.create(RedisURI.create("127.0.0.1", gateway.boundPort(port)));
        closer.later(throughGateway::shutdown);

        try (StatefulRedisConnection<String, String> open = throughGateway.connect()) {
            assertEquals("PONG", open.sync().ping());
            registry.answer = "[{\"Address\": \"127.0.0.1\", \"ServicePort\": " + second.port() + "}]";
            log.awaitLogged(Level.INFO, "api=redis", "targets now [tcp://127.0.0.1:" + second.port() + "]");

            assertEquals(second.port(), redisPortBehind(throughGateway));
            // The connection opened before the change still reaches the first server.
            assertTrue(open.sync().info("server").contains("tcp_port:" + first.port()));
        }
    }

    @Test
    void disabledUptimeTestsRunNoCheckAndGateNothing() throws Exception {
        SwitchableUpstream a = closer.later(new SwitchableUpstream("a"));
        SwitchableUpstream b = closer.later(new SwitchableUpstream("b"));
        b.healthStatus.set(500);
        ObjectNode conf = conf();
        ((ObjectNode) conf.get("uptime_tests")).put("disable", true);
        folder.writeConf(conf).writeApi("web.json", httpApi(a, b));
        Gateway gateway = startGateway(folder.conf);

        // With checks on, both would be checked, and b taken out, within the first second: nothing to wait on
        // for something that must not happen, so the test waits that long.
        Thread.sleep(1_500);
        assertEquals(0, a.checks.get() + b.checks.get(), "uptime_tests.disable still ran checks");
        assertEquals(Set.of("a", "b"), upstreamsAnswering(gateway, 4));
    }

    @Test
    void aHostThatIsDownIsRecheckedEveryRecheckWait() throws Exception {
        SwitchableUpstream a = closer.later(new SwitchableUpstream("a"));
        a.healthStatus.set(500);
        ObjectNode conf = conf();
        ((ObjectNode) conf.get("uptime_tests").get("config")).put("time_wait", 30);
        ObjectNode api = httpApi(a);
        ((ObjectNode) api.get("uptime_tests")).putObject("config").put("recheck_wait", 1);
        folder.writeConf(conf).writeApi("web.json", api);
        startGateway(folder.conf);
        log.awaitLogged(Level.WARN, "api=web", "is down", "status 500");

        a.healthStatus.set(200);
        long healed = System.nanoTime();
        log.awaitLogged(Level.INFO, "api=web", "is up again");
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healed);
        // Every second (plus a tenth of jitter), not every 30 s.
        assertTrue(tookMillis < 3_000, "came back after " + tookMillis + " ms");
    }

    @Test
    void aCheckThatCannotRunIsNamedAtLoadAndTheApiStillServes() throws Exception {
        SwitchableUpstream a = closer.later(new SwitchableUpstream("a"));
        ObjectNode api = httpApi(a);
        ((ArrayNode) api.get("uptime_tests").get("check_list")).addObject().put("url", "ftp://127.0.0.1:21/");
        folder.writeConf(conf()).writeApi("web.json", api);
        Gateway gateway = startGateway(folder.conf);

        log.awaitLogged(Level.WARN, "api=web", "uptime test 'ftp://127.0.0.1:21/' cannot run, skipped: scheme 'ftp'");
        assertEquals(Set.of("a"), upstreamsAnswering(gateway, 2));
        awaitChecks(a, 0, 1);
    }
}
