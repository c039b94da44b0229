package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.testing.TestTls;
import dev.gateway.examples.websocket.WebSocketEchoServer;
import dev.gateway.ssews.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/**
 * WebSockets behind basic auth and behind mutual TLS, over TLS (wss) with the JDK's client: the upgrade carries
 * the credentials or the certificate, as any request does.
 */
class AuthWebSocketModesTest extends GatewayFixture {

    @Test
    void basicAuthAndMutualTlsGuardTheUpgrade() throws Exception {
        WebSocketEchoServer echo = closer.later(WebSocketEchoServer.start(0, null));
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("secret", AuthGatewayTest.SECRET);
        conf.putObject("http_server_options").put("enable_websockets", true);
        folder.serveTls(conf);
        folder.copy(TestCerts.caPem(), "certs/ca.pem");
        ObjectNode basic = ConfFolder.api("wsbasic", "/basic/", "ws://127.0.0.1:" + echo.port());
        basic.put("use_keyless", false).put("use_basic_auth", true);
        ObjectNode mtls = ConfFolder.api("wsmtls", "/mtls/", "ws://127.0.0.1:" + echo.port());
        mtls.put("use_mutual_tls_auth", true).putArray("client_certificates").add("certs/ca.pem");
        folder.writeConf(conf).writeApi("basic.json", basic).writeApi("mtls.json", mtls);
        Gateway gateway = startGateway(folder.conf);
        SSLContext withCert = TestTls.presentingToTestCa(TestCerts.clientPem(), TestCerts.clientKey());
        SSLContext without = TestTls.presentingToTestCa(null, null);
        String base = "wss://localhost:" + gateway.gatewayPort();

        HttpResponse<String> user = HttpClient.newBuilder().sslContext(without).build().send(HttpRequest
                .newBuilder(URI.create("https://localhost:" + gateway.gatewayPort() + "/tyk/keys/ws-user"))
                .header("x-tyk-authorization", AuthGatewayTest.SECRET)
                .POST(HttpRequest.BodyPublishers.ofString("{\"access_rights\": {\"wsbasic\": {\"api_id\":"
                        + " \"wsbasic\", \"versions\": [\"Default\"]}}, \"basic_auth_data\": {\"password\": \"pw\"}}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, user.statusCode(), user.body());
        String credentials = "Basic " + Base64.getEncoder().encodeToString("ws-user:pw".getBytes(
                StandardCharsets.UTF_8));

        HttpClient plain = HttpClient.newBuilder().sslContext(without).build();
        assertEquals(401, refused(plain, URI.create(base + "/basic/chat"), Map.of()));
        assertEquals(401, refused(plain, URI.create(base + "/basic/chat"), Map.of("Authorization",
                "Basic " + Base64.getEncoder().encodeToString("ws-user:wrong".getBytes(StandardCharsets.UTF_8)))));
        WsClient signedIn = closer.later(WsClient.connect(plain, URI.create(base + "/basic/chat"),
                Map.of("Authorization", credentials)));
        assertEquals("basic", signedIn.sendAndReceiveText("basic"));

        assertEquals(403, refused(plain, URI.create(base + "/mtls/chat"), Map.of()));
        WsClient certified = closer.later(WsClient.connect(HttpClient.newBuilder().sslContext(withCert).build(),
                URI.create(base + "/mtls/chat"), Map.of()));
        assertEquals("mtls", certified.sendAndReceiveText("mtls"));
    }

    private static int refused(HttpClient http, URI uri, Map<String, String> headers) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> WsClient.connect(http, uri, headers));
        return assertInstanceOf(WebSocketHandshakeException.class, e.getCause()).getResponse().statusCode();
    }
}
