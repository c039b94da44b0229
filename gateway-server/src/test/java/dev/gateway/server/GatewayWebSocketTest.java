package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.examples.websocket.WebSocketEchoServer;
import dev.gateway.ssews.WsClient;
import java.net.URI;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * WebSockets through the whole gateway: {@code enable_websockets} read from {@code tyk.conf}, open connections
 * across reloads, and the 1001 that a stop sends.
 */
class GatewayWebSocketTest extends GatewayFixture {

    private WebSocketEchoServer echo;

    @BeforeEach
    void startEcho() throws Exception {
        echo = cleanup.add(WebSocketEchoServer.start(0, null));
    }

    private ObjectNode conf() {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("http_server_options").put("enable_websockets", true);
        return conf;
    }

    private ObjectNode wsApi(String id) {
        return ConfFolder.api(id, "/" + id + "/", "ws://127.0.0.1:" + echo.port());
    }

    private WsClient open(Gateway gateway, String path) throws Exception {
        return cleanup.add(WsClient.connect(URI.create("ws://127.0.0.1:" + gateway.gatewayPort() + path)));
    }

    @Test
    void openWebSocketsSurviveReloadsWhetherTheirApiChangedOrNot() throws Exception {
        folder.writeConf(conf()).writeApi("same.json", wsApi("same")).writeApi("changed.json", wsApi("changed"));
        Gateway gateway = cleanup.gateway(folder.conf);
        WsClient unchanged = open(gateway, "/same/");
        WsClient changed = open(gateway, "/changed/");

        ObjectNode moved = wsApi("changed");
        ((ObjectNode) moved.get("proxy")).put("listen_path", "/moved/");
        folder.writeApi("changed.json", moved);
        gateway.reload();

        assertEquals("still here", unchanged.sendAndReceiveText("still here"));
        assertEquals("me too", changed.sendAndReceiveText("me too"));
        assertEquals("new path", open(gateway, "/moved/").sendAndReceiveText("new path"));
    }

    @Test
    void aRemovedApisWebSocketsRunOnWhileNewOnesGet404() throws Exception {
        folder.writeConf(conf()).writeApi("gone.json", wsApi("gone"));
        Gateway gateway = cleanup.gateway(folder.conf);
        WsClient open = open(gateway, "/gone/");

        folder.removeApi("gone.json");
        gateway.reload();

        assertEquals("running on", open.sendAndReceiveText("running on"));
        ExecutionException refused = assertThrows(ExecutionException.class, () -> open(gateway, "/gone/"));
        assertEquals(404, ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode());
        assertNull(open.endingNow());
    }

    @Test
    void stopClosesWebSocketsWithGoingAway() throws Exception {
        folder.writeConf(conf()).writeApi("ws.json", wsApi("ws"));
        Gateway gateway = Gateway.start(folder.conf, 0);
        WsClient client = open(gateway, "/ws/");
        assertEquals("hello", client.sendAndReceiveText("hello"));

        long start = System.nanoTime();
        gateway.stop(Duration.ofSeconds(10));

        assertEquals(1001, client.ending(WsClient.WAIT_SECONDS).code());
        assertEquals(1001, echo.closeCodes().poll(WsClient.WAIT_SECONDS, TimeUnit.SECONDS));
        // The peers answered the close, so the stop did not wait for its grace period.
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the stop waited for its grace period");
    }
}
