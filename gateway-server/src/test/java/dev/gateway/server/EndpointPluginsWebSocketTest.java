package dev.gateway.server;

import static dev.gateway.server.PluginApis.withVersionMembers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.examples.websocket.WebSocketEchoServer;
import dev.gateway.http.support.Http1;
import dev.gateway.http.support.RawUpstream;
import dev.gateway.ssews.WsClient;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Endpoint plugins on WebSocket upgrades through the whole gateway, with the JDK's WebSocket client: a circuit
 * breaker refuses an upgrade with 503 once failed upgrades opened it, and a hard timeout bounds the wait for the
 * {@code 101} but never an open WebSocket.
 */
class EndpointPluginsWebSocketTest extends GatewayFixture {

    /** {@code proxy_default_timeout}, in seconds: far above the hard timeout, so a quick 504 can only be its. */
    private static final int PROXY_TIMEOUT_SECONDS = 10;

    private static final String HARD_TIMEOUT = """
            "extended_paths": {"hard_timeouts": [{"path": "/chat", "method": "GET", "duration": "300ms"}]}""";

    /** Starts a gateway with WebSockets on and one API, {@code /ws/} in front of {@code target}, with plugins. */
    private Gateway gatewayTo(String target, String versionMembers) throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("http_server_options").put("enable_websockets", true);
        conf.put("proxy_default_timeout", PROXY_TIMEOUT_SECONDS);
        folder.writeConf(conf).writeApi("ws.json", withVersionMembers(ConfFolder.api("ws", "/ws/", target),
                versionMembers));
        return startGateway(folder.conf);
    }

    private static URI chat(Gateway gateway) {
        return URI.create("ws://127.0.0.1:" + gateway.gatewayPort() + "/ws/chat");
    }

    /** Asks for a WebSocket at {@code /ws/chat}, which must be refused; the gateway's response. */
    private static HttpResponse<?> refusedUpgrade(Gateway gateway) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> WsClient.connect(chat(gateway)));
        return assertInstanceOf(WebSocketHandshakeException.class, e.getCause()).getResponse();
    }

    @Test
    void circuitBreakerOpenedByFailedUpgradesRefusesTheNextWith503() throws Exception {
        // Nothing listens there: each upgrade fails with 502, and counts as a failure.
        Gateway gateway = gatewayTo("ws://127.0.0.1:" + Ports.freePort(), """
                "extended_paths": {"circuit_breakers": [{
                  "path": "/chat", "method": "GET", "threshold_percent": 0.5, "samples": 2,
                  "return_to_service_after": 60, "disable_half_open_state": false
                }]}""");
        for (int i = 0; i < 2; i++) {
            assertEquals(502, refusedUpgrade(gateway).statusCode());
        }
        log.awaitLogged(Level.WARN, "api=ws", "circuit breaker open", "2 of the last 2 calls failed");

        HttpResponse<?> refused = refusedUpgrade(gateway);

        assertEquals(503, refused.statusCode());
        assertTrue(String.valueOf(refused.body()).contains("Service temporarily unavailable."),
                "body: " + refused.body());
        log.assertLogged(Level.INFO, "api=ws", "GET /ws/chat refused: the circuit breaker is open");
    }

    @Test
    void hardTimeoutAnswersAnUpgradeWithout101With504LongBeforeTheProxyTimeout() throws Exception {
        BlockingQueue<Http1.Head> upgrades = new LinkedBlockingQueue<>();
        RawUpstream silent = closer.later(RawUpstream.start(connection -> {
            Http1.Head head = connection.readRequestHead();
            if (head != null) {
                upgrades.add(head);
            }
            connection.awaitClose(); // reads the upgrade and never answers it
        }));
        Gateway gateway = gatewayTo("ws://127.0.0.1:" + silent.port(), HARD_TIMEOUT);

        long start = System.nanoTime();
        HttpResponse<?> response = refusedUpgrade(gateway);
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertEquals(504, response.statusCode());
        assertTrue(String.valueOf(response.body()).contains("Upstream service reached hard timeout."),
                "body: " + response.body());
        assertTrue(waitedMillis >= 250 && waitedMillis < TimeUnit.SECONDS.toMillis(PROXY_TIMEOUT_SECONDS) / 3,
                "the 504 came after " + waitedMillis + " ms");
        Http1.Head upgrade = upgrades.poll(WsClient.WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(upgrade, "the upstream never got the upgrade");
        assertEquals("websocket", upgrade.header("Upgrade"));
    }

    @Test
    void hardTimeoutLeavesAnOpenWebSocketAlone() throws Exception {
        WebSocketEchoServer echo = closer.later(WebSocketEchoServer.start(0, null));
        Gateway gateway = gatewayTo("ws://127.0.0.1:" + echo.port(), HARD_TIMEOUT);
        WsClient client = closer.later(WsClient.connect(chat(gateway)));
        assertEquals("at once", client.sendAndReceiveText("at once"));

        // The time passing is what is under test: more than three hard timeouts, with nothing sent either way.
        Thread.sleep(1000);

        assertEquals("a second later", client.sendAndReceiveText("a second later"));
        assertNull(client.endingNow());
    }
}
