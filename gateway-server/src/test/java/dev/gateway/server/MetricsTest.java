package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.http.support.Clients;
import dev.gateway.ssews.WsClient;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics}: Prometheus's text format, checked by Prometheus's own checker ({@code promtool check metrics},
 * from Debian's prometheus package), with figures that agree with the traffic the test sent.
 */
class MetricsTest extends GatewayFixture {

    private String metrics(Gateway gateway) throws Exception {
        HttpResponse<String> response = Clients.get(client, url(gateway.gatewayPort(), "/metrics"));
        assertEquals(200, response.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8",
                response.headers().firstValue("Content-Type").orElseThrow());
        return response.body();
    }

    private static double value(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(text);
        assertTrue(m.find(), "no " + series + " in:\n" + text);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void theFiguresAgreeWithTheTrafficAndPromtoolReadsThem() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        folder.writeConf(conf).writeApi("api.json", ConfFolder.api("api", "/api/", upstream.url("/")))
                .writeApi("down.json", ConfFolder.api("down", "/down/", "http://127.0.0.1:" + Ports.freePort()));
        Gateway gateway = startGateway(folder.conf);
        for (int i = 0; i < 3; i++) {
            assertEquals(200, Clients.get(client, url(gateway.gatewayPort(), "/api/x")).statusCode());
        }
        assertEquals(404, Clients.get(client, url(gateway.gatewayPort(), "/nowhere")).statusCode());
        assertEquals(502, Clients.get(client, url(gateway.gatewayPort(), "/down/x")).statusCode());

        String text = metrics(gateway);
        assertEquals(3, value(text, "gateway_http_requests_total{api=\"api\",code=\"2xx\"}"));
        assertEquals(1, value(text, "gateway_http_requests_total{api=\"-\",code=\"4xx\"}"));
        assertEquals(1, value(text, "gateway_http_requests_total{api=\"down\",code=\"5xx\"}"));
        assertEquals(1, value(text, "gateway_failures_total{api=\"down\",failure=\"UPSTREAM_REFUSED\"}"));
        assertEquals(3, value(text, "gateway_http_request_duration_seconds_count{api=\"api\"}"));
        assertEquals(3, value(text, "gateway_http_request_duration_seconds_bucket{api=\"api\",le=\"+Inf\"}"));
        assertTrue(value(text, "gateway_sent_bytes_total{api=\"api\"}") > 0);
        assertTrue(value(text, "gateway_http_connections_open{listener=\"" + gateway.gatewayPort() + "\"}") >= 1,
                "the scrape's own connection, at least");
        assertTrue(text.contains("jvm_memory_used_bytes"), "the JVM's figures");
        assertTrue(text.contains("netty_eventloop_pending_tasks"), "the event loops'");
        assertTrue(!text.contains("/api/x") && !text.contains("127.0.0.1"), "never a path or an address");
        promtoolReads(text);
    }

    private static void promtoolReads(String text) throws Exception {
        Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        promtool.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String said = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(promtool.waitFor(30, TimeUnit.SECONDS));
        // promtool exits 1 for text it cannot parse, 3 for lint advice only (naming conventions).
        assertTrue(promtool.exitValue() == 0 || promtool.exitValue() == 3, promtool.exitValue() + ": " + said);
        assertTrue(!said.contains("error"), said);
    }

    /** Scrapes until {@code series} reads {@code expected}: ends are told on the event loops, after the client acts. */
    private String awaitValue(Gateway gateway, String series, double expected) throws Exception {
        Net.Deadline deadline = new Net.Deadline(Duration.ofSeconds(10));
        while (true) {
            String text = metrics(gateway);
            if (value(text, series) == expected) {
                return text;
            }
            deadline.check(series + " did not come to " + expected + ":\n" + text);
            Thread.sleep(Net.Deadline.POLL_MILLIS);
        }
    }

    @Test
    void openWebSocketsEventStreamsAndTcpRelaysAreGaugedPerApiUntilTheyClose() throws Exception {
        StreamApis apis = StreamApis.start(closer);
        folder.writeConf(apis.conf());
        apis.writeApis(folder);
        Gateway gateway = startGateway(folder.conf);
        String websocket = "gateway_open_streams{api=\"ws\",kind=\"websocket\"}";
        String eventStream = "gateway_open_streams{api=\"sse\",kind=\"event_stream\"}";
        String relay = "gateway_open_streams{api=\"tcp\",kind=\"tcp\"}";

        WsClient ws = closer.later(StreamApis.webSocket(gateway));
        Socket sse = closer.later(StreamApis.eventStream(gateway));
        Socket tcp = closer.later(apis.relay(gateway));

        String text = metrics(gateway);
        assertEquals(1, value(text, websocket));
        assertEquals(1, value(text, eventStream));
        assertEquals(1, value(text, relay));
        assertTrue(!text.contains("gateway_open_streams{api=\"sse\",kind=\"websocket\"}"),
                "a series only for the kinds an API has had");
        promtoolReads(text);

        ws.close();
        awaitValue(gateway, websocket, 0);
        sse.close();
        awaitValue(gateway, eventStream, 0);
        tcp.close();
        text = awaitValue(gateway, relay, 0);
        assertEquals(0, value(text, websocket));
        assertEquals(0, value(text, eventStream));

        // Each closed stream is timed once; the event stream counts as a request, but not in the requests' latency.
        assertEquals(1, value(text, "gateway_websocket_sessions_seconds_count{api=\"ws\"}"));
        assertEquals(1, value(text, "gateway_event_streams_seconds_count{api=\"sse\"}"));
        assertEquals(1, value(text, "gateway_tcp_connections_seconds_count{api=\"tcp\"}"));
        assertEquals(1, value(text, "gateway_http_requests_total{api=\"sse\",code=\"2xx\"}"));
        assertEquals(0, value(text, "gateway_http_request_duration_seconds_count{api=\"sse\"}"));
        promtoolReads(text);
    }

    @Test
    void hostHealthAndCircuitBreakersAreGauges() throws Exception {
        int downPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("uptime_tests").putObject("config").put("failure_trigger_sample_size", 1).put("time_wait", 1);
        ObjectNode api = ConfFolder.api("checked", "/checked/", "http://127.0.0.1:" + downPort + "/");
        api.putObject("uptime_tests").putArray("check_list").addObject()
                .put("url", "http://127.0.0.1:" + downPort + "/health").put("timeout", 500);
        PluginApis.withVersionMembers(api, """
                "extended_paths": {"circuit_breakers": [{"path": "/x", "method": "GET", "threshold_percent": 0.5,
                  "samples": 2, "return_to_service_after": 60}]}""");
        folder.writeConf(conf).writeApi("checked.json", api);
        Gateway gateway = startGateway(folder.conf);
        log.awaitLogged(ch.qos.logback.classic.Level.WARN, "host=127.0.0.1:" + downPort, "is down");
        for (int i = 0; i < 2; i++) {
            Clients.get(client, url(gateway.gatewayPort(), "/checked/x"));
        }

        String text = metrics(gateway);
        assertEquals(0, value(text, "gateway_upstream_up{api=\"checked\",host=\"127.0.0.1:" + downPort + "\"}"));
        assertEquals(1, value(text, "gateway_circuit_breaker_open{api=\"checked\",method=\"GET\",path=\"/x\"}"));
    }

    @Test
    void metricsAreOnTheControlPortWhenThereIsOne() throws Exception {
        int control = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("control_api_port", control).put("secret", "s");
        folder.writeConf(conf).writeApi("api.json", ConfFolder.api("api", "/api/", upstream.url("/")));
        Gateway gateway = startGateway(folder.conf);
        assertEquals(404, Clients.get(client, url(gateway.gatewayPort(), "/metrics")).statusCode(),
                "not on the public port");
        assertEquals(200, Clients.get(client, url(control, "/metrics")).statusCode());
    }

    @Test
    void metricsOffServesNone() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("metrics").put("enabled", false);
        folder.writeConf(conf).writeApi("api.json", ConfFolder.api("api", "/api/", upstream.url("/")));
        Gateway gateway = startGateway(folder.conf);
        assertEquals(404, Clients.get(client, url(gateway.gatewayPort(), "/metrics")).statusCode());
    }

}
