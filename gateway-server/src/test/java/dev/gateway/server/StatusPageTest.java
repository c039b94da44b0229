package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.http.support.Clients;
import dev.gateway.ssews.WsClient;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The status page in a real browser: Debian's headless Chromium loads {@code /status} while traffic runs and one
 * checked host is down, or while streams are open; the page shows that host down and the other up, or each API's
 * open streams, and a phone-sized screenshot is saved under {@code target/} for a person to look at.
 */
class StatusPageTest extends GatewayFixture {

    private static final Path SCREENSHOT = Path.of("target", "status-page.png");
    private static final Path STREAMS_SCREENSHOT = Path.of("target", "status-page-streams.png");

    private static String chromium() {
        for (String name : List.of("chromium", "chromium-browser")) {
            for (String dir : List.of("/usr/bin/", "/usr/local/bin/")) {
                if (Files.isExecutable(Path.of(dir + name))) {
                    return dir + name;
                }
            }
        }
        throw new AssertionError("no chromium: bin/test installs Debian's chromium package");
    }

    private static String runChromium(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(chromium(), "--headless=new", "--no-sandbox",
                "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "chromium did not finish");
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void chromiumShowsTheDownHostAsDownWhileTrafficRuns() throws Exception {
        int downPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("status_page").put("enabled", true);
        conf.putObject("uptime_tests").putObject("config").put("failure_trigger_sample_size", 1).put("time_wait", 1);
        ObjectNode api = ConfFolder.api("checked", "/checked/", upstream.url("/"));
        ObjectNode proxy = (ObjectNode) api.get("proxy");
        proxy.remove("target_url");
        proxy.put("enable_load_balancing", true).put("check_host_against_uptime_tests", true);
        proxy.putArray("target_list").add(upstream.url("/")).add("http://127.0.0.1:" + downPort + "/");
        ArrayNode checks = api.putObject("uptime_tests").putArray("check_list");
        checks.addObject().put("url", upstream.url("/health")).put("timeout", 500);
        checks.addObject().put("url", "http://127.0.0.1:" + downPort + "/health").put("timeout", 500);
        folder.writeConf(conf).writeApi("checked.json", api);
        Gateway gateway = startGateway(folder.conf);
        log.awaitLogged(Level.WARN, "host=127.0.0.1:" + downPort, "is down");

        AtomicBoolean loading = new AtomicBoolean(true);
        Thread load = new Thread(() -> {
            while (loading.get()) {
                try {
                    Clients.get(client, url(gateway.gatewayPort(), "/checked/x"));
                } catch (Exception e) {
                    return;
                }
            }
        }, "load");
        load.start();
        try {
            String page = url(gateway.gatewayPort(), "/status");
            String dom = runChromium("--dump-dom", page);
            assertTrue(dom.contains("data-host=\"127.0.0.1:" + downPort + "\"") && rowOf(dom, downPort)
                    .contains("state down"), dom);
            assertTrue(rowOf(dom, upstream.port()).contains("state up"), dom);
            assertTrue(dom.contains("<td>checked</td>"), "the API's last minute: " + dom);

            Files.createDirectories(SCREENSHOT.getParent());
            Files.deleteIfExists(SCREENSHOT);
            runChromium("--screenshot=" + SCREENSHOT.toAbsolutePath(), "--window-size=412,915", page);
            assertTrue(Files.size(SCREENSHOT) > 1000, "a screenshot at " + SCREENSHOT.toAbsolutePath());
        } finally {
            loading.set(false);
            load.join(10_000);
        }
        assertEquals(404, Clients.get(client, url(gateway.gatewayPort(), "/metricsx")).statusCode());
    }

    @Test
    void chromiumShowsTheStreamsOpenPerApiAndTheyGoWhenClosed() throws Exception {
        StreamApis apis = StreamApis.start(closer);
        ObjectNode conf = apis.conf();
        conf.putObject("status_page").put("enabled", true);
        folder.writeConf(conf);
        apis.writeApis(folder);
        Gateway gateway = startGateway(folder.conf);
        String page = url(gateway.gatewayPort(), "/status");

        WsClient ws = closer.later(StreamApis.webSocket(gateway));
        Socket sse = closer.later(StreamApis.eventStream(gateway));
        Socket tcp = closer.later(apis.relay(gateway));

        String dom = runChromium("--dump-dom", page);
        for (String kind : List.of("websocket", "event_stream", "tcp")) {
            assertTrue(dom.contains("id=\"open-" + kind + "\">1<"), kind + ": " + dom);
        }
        // Each API's row: event streams, WebSockets, TCP relays.
        assertTrue(dom.contains("data-api=\"sse\"><td>sse</td><td>1</td><td>0</td><td>0</td>"), dom);
        assertTrue(dom.contains("data-api=\"ws\"><td>ws</td><td>0</td><td>1</td><td>0</td>"), dom);
        assertTrue(dom.contains("data-api=\"tcp\"><td>tcp</td><td>0</td><td>0</td><td>1</td>"), dom);
        Files.createDirectories(STREAMS_SCREENSHOT.getParent());
        Files.deleteIfExists(STREAMS_SCREENSHOT);
        runChromium("--screenshot=" + STREAMS_SCREENSHOT.toAbsolutePath(), "--window-size=412,915", page);
        assertTrue(Files.size(STREAMS_SCREENSHOT) > 1000, "a screenshot at " + STREAMS_SCREENSHOT);

        ws.close();
        sse.close();
        tcp.close();

        Net.Deadline deadline = new Net.Deadline(Duration.ofSeconds(10));
        String html;
        while ((html = Clients.get(client, page).body()).contains("class=\"open\"")) {
            deadline.check("streams still shown open after they closed: " + html);
            Thread.sleep(Net.Deadline.POLL_MILLIS);
        }
        for (String kind : List.of("websocket", "event_stream", "tcp")) {
            assertTrue(html.contains("id=\"open-" + kind + "\">0<"), kind + ": " + html);
        }
    }

    private static String rowOf(String dom, int port) {
        int at = dom.indexOf("data-host=\"127.0.0.1:" + port + "\"");
        assertTrue(at >= 0, "no row for port " + port);
        return dom.substring(at, dom.indexOf("</tr>", at));
    }
}
