package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.examples.tcp.TcpEchoServer;
import dev.gateway.examples.websocket.WebSocketEchoServer;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.ssews.WsClient;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code access_logs.enabled} is the access log's one switch, read per gateway: two in-process gateways with
 * opposite settings each keep their own, whichever started last (a shared logger level could not do that). The
 * access log listens to the end of every exchange: proxied, answered by the gateway itself, an event stream, a
 * WebSocket, a TCP relay; each line names the connection.
 */
class AccessLogSwitchTest extends GatewayFixture {

    private static final String ACCESS_LOGGER = "gateway.access";

    /** A gateway on a folder of its own with one API, {@code access_logs.enabled} as given. */
    private Gateway gatewayWithAccessLog(String name, boolean enabled) throws Exception {
        ConfFolder own = new ConfFolder(dir.resolve(name));
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("access_logs").put("enabled", enabled);
        own.writeConf(conf).writeApi(name + ".json", ConfFolder.api(name, "/" + name + "/", upstream.url("/")));
        return startGateway(own.conf);
    }

    private List<String> accessLines(String apiId) {
        return log.find(Level.INFO, ACCESS_LOGGER, "api=" + apiId + " ");
    }

    @Test
    void enabledGatewayLogsOneLinePerExchangeThoughADisabledOneStartedAfterIt() throws Exception {
        Gateway on = gatewayWithAccessLog("on", true);
        Gateway off = gatewayWithAccessLog("off", false);

        assertEquals(200, Clients.get(client, url(on.gatewayPort(), "/on/a")).statusCode());
        assertEquals(200, Clients.get(client, url(on.gatewayPort(), "/on/b?x=1")).statusCode());
        assertEquals(200, Clients.get(client, url(off.gatewayPort(), "/off/a")).statusCode());

        log.awaitLogged(Level.INFO, ACCESS_LOGGER, "\"GET /on/b?x=1 HTTP/1.1\"", "status=200");
        assertEquals(2, accessLines("on").size(), String.join("\n", log.lines()));
        assertEquals(List.of(), accessLines("off"));
    }

    @Test
    void disabledGatewayLogsNothingThoughAnEnabledOneStartedAfterIt() throws Exception {
        Gateway off = gatewayWithAccessLog("off", false);
        Gateway on = gatewayWithAccessLog("on", true);

        assertEquals(200, Clients.get(client, url(off.gatewayPort(), "/off/a")).statusCode());
        assertEquals(200, Clients.get(client, url(on.gatewayPort(), "/on/a")).statusCode());

        // Written once the disabled gateway's exchange had ended, on an event loop; a line of that one would be in by
        // now, or very nearly.
        log.awaitLogged(Level.INFO, ACCESS_LOGGER, "api=on ", "status=200");
        assertTrue(accessLines("off").isEmpty(), String.join("\n", log.lines()));
    }

    @Test
    void localAnswersAreLoggedWithTheirReason() throws Exception {
        Gateway on = gatewayWithAccessLog("on", true);

        assertEquals(404, Clients.get(client, url(on.gatewayPort(), "/nowhere")).statusCode());

        String line = log.awaitLogged(Level.INFO, ACCESS_LOGGER, "\"GET /nowhere HTTP/1.1\"", "status=404");
        assertTrue(line.contains("api=- ") && line.contains("upstream=- ") && line.contains("error=NO_ROUTE"), line);
        assertTrue(line.matches(".* conn=[0-9a-f]{8} .*"), line);
    }

    @Test
    void http2RequestsAreLoggedWithTheProtocolTheClientSpoke() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("access_logs").put("enabled", true);
        conf.putObject("http_server_options").put("enable_http2", true);
        folder.writeConf(conf).writeApi("h2.json", ConfFolder.api("h2", "/h2/", upstream.url("/")));
        Gateway gateway = startGateway(folder.conf);
        HttpClient http2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();

        // The first request upgrades the connection (h2c); the second is an HTTP/2 stream.
        assertEquals(200, Clients.get(http2, url(gateway.gatewayPort(), "/h2/first")).statusCode());
        assertEquals(200, Clients.get(http2, url(gateway.gatewayPort(), "/h2/second")).statusCode());

        log.awaitLogged(Level.INFO, ACCESS_LOGGER, "api=h2 ", "\"GET /h2/second HTTP/2.0\"", "status=200");
    }

    @Test
    void webSocketsAndTcpRelaysAreLoggedWhenTheyEnd() throws Exception {
        WebSocketEchoServer echo = closer.later(WebSocketEchoServer.start(0, null));
        TcpEchoServer tcpEcho = TcpEchoServer.start(0);
        closer.later(tcpEcho::close);
        int tcpPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("access_logs").put("enabled", true);
        conf.putObject("http_server_options").put("enable_websockets", true);
        conf.putObject("ports_whitelist").putObject("tcp").putArray("ports").add(tcpPort);
        ObjectNode tcp = ConfFolder.JSON.createObjectNode();
        tcp.put("api_id", "echo").put("protocol", "tcp").put("listen_port", tcpPort);
        tcp.putObject("proxy").put("target_url", "tcp://127.0.0.1:" + tcpEcho.port());
        folder.writeConf(conf).writeApi("ws.json", ConfFolder.api("ws", "/ws/", "ws://127.0.0.1:" + echo.port()))
                .writeApi("echo.json", tcp);
        Gateway gateway = startGateway(folder.conf);

        try (WsClient ws = WsClient.connect(URI.create("ws://127.0.0.1:" + gateway.gatewayPort() + "/ws/"))) {
            assertEquals("hello", ws.sendAndReceiveText("hello"));
        }
        try (Socket socket = new Socket("127.0.0.1", tcpPort)) {
            socket.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            assertEquals("ping\n", new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
        }

        String upgrade = log.awaitLogged(Level.INFO, ACCESS_LOGGER, "api=ws ", "\"GET /ws/ HTTP/1.1\"", "status=101");
        String webSocket = log.awaitLogged(Level.INFO, ACCESS_LOGGER, "api=ws ", "websocket \"/ws/\"");
        assertTrue(webSocket.contains("upstream=ws://127.0.0.1:" + echo.port()) && webSocket.contains(" end="),
                webSocket);
        assertEquals(connection(upgrade), connection(webSocket), "the upgrade and its WebSocket share a connection");
        String relay = log.awaitLogged(Level.INFO, ACCESS_LOGGER, "api=echo ", " tcp ", "bytes_in=5 bytes=5",
                "end=");
        assertTrue(relay.matches(".* conn=[0-9a-f]{8} .*"), relay);
    }

    @ParameterizedTest
    @ValueSource(strings = {"text", "json"})
    void eventStreamIsLoggedAsItsRequestWhenTheClientLeavesIt(String format) throws Exception {
        StreamApis apis = StreamApis.start(closer);
        ObjectNode conf = apis.conf();
        conf.putObject("access_logs").put("enabled", true).put("format", format);
        folder.writeConf(conf);
        apis.writeApis(folder);
        Gateway gateway = startGateway(folder.conf);

        StreamApis.eventStream(gateway).close();

        if (format.equals("text")) {
            String line = log.awaitLogged(Level.INFO, ACCESS_LOGGER, "api=sse ", "\"GET /sse/events HTTP/1.1\"",
                    "status=200");
            assertTrue(!line.contains("error="), "leaving is how an event stream ends: " + line);
        } else {
            String line = log.awaitLogged(Level.INFO, ACCESS_LOGGER, "\"api_id\":\"sse\"");
            JsonNode json = ConfFolder.JSON.readTree(line.substring(line.indexOf('{')));
            assertEquals("http", json.get("kind").asText(), line);
            assertEquals("/sse/events", json.get("path").asText());
            assertEquals(200, json.get("status").asInt());
            assertTrue(json.get("bytes_out").asLong() > 0 && !json.has("error"), line);
        }
    }

    @Test
    void aRequestTheClientLeavesIsLoggedAsClientClosed() throws Exception {
        TestUpstream slow = closer.later(TestUpstream.held("slow"));
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("access_logs").put("enabled", true);
        folder.writeConf(conf).writeApi("slow.json", ConfFolder.api("slow", "/slow/", slow.url("/")));
        Gateway gateway = startGateway(folder.conf);

        try (Socket socket = new Socket("127.0.0.1", gateway.gatewayPort())) {
            socket.getOutputStream().write("GET /slow/pending HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            assertEquals("/pending", slow.takeRequest(Clients.REQUEST_TIMEOUT).target());
        }

        String line = log.awaitLogged(Level.INFO, ACCESS_LOGGER, "api=slow ", "\"GET /slow/pending HTTP/1.1\"",
                "status=0", "error=CLIENT_CLOSED");
        assertTrue(line.contains("upstream=" + slow.url("/")), line);
        slow.release();
    }

    private static String connection(String line) {
        int at = line.indexOf(" conn=") + 6;
        return line.substring(at, line.indexOf(' ', at));
    }

    @Test
    void jsonLinesCarryTheTemplatesFieldsAndParse() throws Exception {
        ConfFolder own = new ConfFolder(dir.resolve("json"));
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("access_logs").put("enabled", true).put("format", "json").putArray("template")
                .add("api_id").add("client_ip").add("path").add("status").add("latency_total");
        own.writeConf(conf).writeApi("json.json", ConfFolder.api("json", "/json/", upstream.url("/")));
        Gateway gateway = startGateway(own.conf);

        assertEquals(200, Clients.get(client, url(gateway.gatewayPort(), "/json/a?q=\"x\"".replace("\"", "%22")))
                .statusCode());

        String line = log.awaitLogged(Level.INFO, ACCESS_LOGGER, "\"api_id\":\"json\"");
        JsonNode json = ConfFolder.JSON.readTree(line.substring(line.indexOf('{')));
        assertEquals(List.of("client_ip", "api_id", "path", "status", "latency_total"),
                iterate(json.fieldNames()), line);
        assertEquals("/json/a?q=%22x%22", json.get("path").asText());
        assertEquals(200, json.get("status").asInt());
        assertEquals("127.0.0.1", json.get("client_ip").asText());
    }

    private static List<String> iterate(java.util.Iterator<String> names) {
        List<String> all = new java.util.ArrayList<>();
        names.forEachRemaining(all::add);
        return all;
    }
}
