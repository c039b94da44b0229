package dev.gateway.server;

import static dev.gateway.server.AuthGatewayTest.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.examples.websocket.WebSocketEchoServer;
import dev.gateway.ssews.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocketHandshakeException;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A WebSocket API protected by an auth token, as Tyk's page promises, with the JDK's WebSocket client: the upgrade
 * is authenticated (header or query parameter) and counted against the key's limits; the frames of an open
 * WebSocket never are.
 */
class AuthWebSocketTest extends GatewayFixture {

    private Gateway gateway;

    @BeforeEach
    void start() throws Exception {
        WebSocketEchoServer echo = closer.later(WebSocketEchoServer.start(0, null));
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("secret", AuthGatewayTest.SECRET);
        conf.putObject("http_server_options").put("enable_websockets", true);
        ObjectNode api = ConfFolder.api("ws", "/ws/", "ws://127.0.0.1:" + echo.port());
        api.put("use_keyless", false);
        api.putObject("auth_configs").putObject("authToken").put("use_param", true).put("param_name", "token");
        folder.writeConf(conf).writeApi("ws.json", api);
        gateway = startGateway(folder.conf);
        String session = "{\"access_rights\": {\"ws\": {\"api_id\": \"ws\", \"versions\": [\"Default\"]}},"
                + " \"rate\": 2, \"per\": 60}";
        assertEquals(200, admin(gateway.gatewayPort(), "POST", "/tyk/keys/ws-key", session).statusCode());
    }

    private URI chat(String query) {
        return URI.create("ws://127.0.0.1:" + gateway.gatewayPort() + "/ws/chat" + query);
    }

    private int refusedUpgrade(URI uri, Map<String, String> headers) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> WsClient.connect(HttpClient.newHttpClient(), uri, headers));
        return assertInstanceOf(WebSocketHandshakeException.class, e.getCause()).getResponse().statusCode();
    }

    @Test
    void onlyTheUpgradeIsAuthenticatedAndCounted() throws Exception {
        assertEquals(401, refusedUpgrade(chat(""), Map.of()));
        assertEquals(403, refusedUpgrade(chat(""), Map.of("Authorization", "not-a-key")));

        WsClient byHeader = closer.later(WsClient.connect(HttpClient.newHttpClient(), chat(""),
                Map.of("Authorization", "ws-key")));
        for (int i = 0; i < 20; i++) {
            assertEquals("frame " + i, byHeader.sendAndReceiveText("frame " + i), "frames are not rate limited");
        }
        WsClient byParam = closer.later(WsClient.connect(HttpClient.newHttpClient(), chat("?token=ws-key"),
                Map.of()));
        assertEquals("by param", byParam.sendAndReceiveText("by param"));

        assertEquals(429, refusedUpgrade(chat("?token=ws-key"), Map.of()), "a third upgrade is over the rate of 2");
        assertEquals("still open", byHeader.sendAndReceiveText("still open"));
    }
}
