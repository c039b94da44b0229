package dev.gateway.server;

import static dev.gateway.server.AuthGatewayTest.admin;
import static dev.gateway.server.AuthGatewayTest.json;
import static dev.gateway.server.PluginApis.grpcApi;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.examples.grpc.GrpcTestServers;
import dev.gateway.examples.grpc.helloworld.GreeterGrpc;
import dev.gateway.examples.grpc.helloworld.HelloRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Basic auth and policies through the whole gateway: a user made through the keys API (its password hashed with
 * bcrypt there) signs in over HTTP/1.1, HTTP/2 and gRPC (call credentials); keys get their rights and limits from
 * policy files, merged as Tyk merges them.
 */
class AuthBasicPolicyTest extends GatewayFixture {

    private final HttpClient http2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    private Gateway gateway;
    private GrpcTestServers grpc;

    @BeforeEach
    void start() throws Exception {
        grpc = closer.later(GrpcTestServers.start(0));
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("secret", AuthGatewayTest.SECRET);
        conf.putObject("http_server_options").put("enable_http2", true);
        conf.putObject("policies").put("policy_source", "file").put("policy_path", "policies");
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/gold.json"), """
                {"id": "gold", "name": "Gold", "org_id": "", "rate": 100, "per": 60, "quota_max": 3,
                 "quota_renewal_rate": 3600, "partitions": {"quota": true, "rate_limit": true, "acl": false},
                 "access_rights": {}}""");
        Files.writeString(dir.resolve("policies/orders.json"), """
                {"id": "orders", "name": "Orders ACL", "org_id": "", "partitions": {"acl": true},
                 "access_rights": {"keyed": {"api_id": "keyed", "api_name": "keyed", "versions": ["Default"]}}}""");
        ObjectNode basic = ConfFolder.api("basic", "/basic/", upstream.url("/"));
        basic.put("use_keyless", false).put("use_basic_auth", true);
        ObjectNode keyed = ConfFolder.api("keyed", "/keyed/", upstream.url("/"));
        keyed.put("use_keyless", false);
        ObjectNode greeter = grpcApi("greeter", "/helloworld.Greeter/", grpc.port());
        greeter.put("use_keyless", false).put("use_basic_auth", true);
        folder.writeConf(conf).writeApi("basic.json", basic).writeApi("keyed.json", keyed)
                .writeApi("greeter.json", greeter);
        gateway = startGateway(folder.conf);
    }

    private HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.gatewayPort()
                + path));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http2.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aUserMadeThroughTheApiSignsInWithItsPassword() throws Exception {
        String user = "{\"access_rights\": {\"basic\": {\"api_id\": \"basic\", \"versions\": [\"Default\"]},"
                + " \"greeter\": {\"api_id\": \"greeter\", \"versions\": [\"Default\"]}},"
                + " \"basic_auth_data\": {\"password\": \"s3cret-pass\"}}";
        assertEquals(200, admin(gateway.gatewayPort(), "POST", "/tyk/keys/alice", user).statusCode());
        JsonNode stored = json(admin(gateway.gatewayPort(), "GET", "/tyk/keys/alice", null));
        assertEquals("", stored.get("basic_auth_data").get("password").asText(), "never shown");
        assertEquals("bcrypt", stored.get("basic_auth_data").get("hash_type").asText());

        assertEquals(200, get("/basic/x", basic("alice", "s3cret-pass")).statusCode());
        HttpResponse<String> wrong = get("/basic/x", basic("alice", "wrong"));
        assertEquals(401, wrong.statusCode());
        assertEquals("{\"error\": \"User not authorised\"}", wrong.body());
        assertEquals("Basic realm=\"test API basic\"", wrong.headers().firstValue("WWW-Authenticate").orElseThrow());
        assertEquals(401, get("/basic/x", null).statusCode());

        ManagedChannel channel = h2cChannel(gateway);
        GreeterGrpc.GreeterBlockingStub greeter = GreeterGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS);
        assertEquals("Hello basic", greeter.withCallCredentials(authorization(basic("alice", "s3cret-pass")))
                .sayHello(HelloRequest.newBuilder().setName("basic").build()).getMessage());
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> greeter.withCallCredentials(authorization(basic("alice", "nope")))
                        .sayHello(HelloRequest.newBuilder().setName("x").build()));
        assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode());
    }

    @Test
    void policiesGiveAKeyItsRightsAndLimits() throws Exception {
        String session = "{\"apply_policies\": [\"gold\", \"orders\"]}";
        assertEquals(200, admin(gateway.gatewayPort(), "POST", "/tyk/keys/policy-key", session).statusCode());
        JsonNode shown = json(admin(gateway.gatewayPort(), "GET", "/tyk/keys/policy-key", null));
        assertTrue(shown.get("access_rights").has("keyed"), shown.toString());
        assertEquals(3, shown.get("quota_max").asInt(), "the quota partition's");

        for (int i = 0; i < 3; i++) {
            assertEquals(200, get("/keyed/x", "policy-key").statusCode());
        }
        assertEquals(403, get("/keyed/x", "policy-key").statusCode(), "the policy's quota of 3");

        HttpResponse<String> missing = admin(gateway.gatewayPort(), "POST", "/tyk/keys/missing-policy",
                "{\"apply_policies\": [\"nowhere\"], \"access_rights\": {\"keyed\": {\"api_id\": \"keyed\"}}}");
        assertEquals(500, missing.statusCode(), "a key whose policy is missing is not stored, as in Tyk");
        assertEquals("Failed to create key, ensure security settings are correct.",
                json(missing).get("message").asText());
        HttpResponse<String> refused = get("/keyed/x", "missing-policy");
        assertEquals(403, refused.statusCode());
        assertEquals("{\"error\": \"Access to this API has been disallowed\"}", refused.body());
    }

    @Test
    void policiesAreManagedThroughTheApiAndTakeEffectAtTheNextReload() throws Exception {
        int port = gateway.gatewayPort();
        JsonNode all = json(admin(port, "GET", "/tyk/policies", null));
        assertEquals(2, all.size(), all.toString());
        assertEquals("Gold", json(admin(port, "GET", "/tyk/policies/gold", null)).get("name").asText());
        assertEquals(404, admin(port, "GET", "/tyk/policies/silver", null).statusCode());

        String silver = "{\"id\": \"silver\", \"name\": \"Silver\", \"custom_field\": 7, \"access_rights\":"
                + " {\"keyed\": {\"api_id\": \"keyed\", \"versions\": [\"Default\"]}}}";
        assertEquals("{\"key\":\"silver\",\"status\":\"ok\",\"action\":\"added\"}",
                admin(port, "POST", "/tyk/policies", silver).body());
        assertTrue(Files.readString(dir.resolve("policies/silver.json")).contains("\"custom_field\" : 7"),
                "written as sent");
        assertEquals(404, admin(port, "GET", "/tyk/policies/silver", null).statusCode(), "not before a reload");
        gateway.reload();
        assertEquals("Silver", json(admin(port, "GET", "/tyk/policies/silver", null)).get("name").asText());
        admin(port, "POST", "/tyk/keys/silver-key", "{\"apply_policies\": [\"silver\"]}");
        assertEquals(200, get("/keyed/x", "silver-key").statusCode());

        HttpResponse<String> mismatch = admin(port, "PUT", "/tyk/policies/gold", silver);
        assertEquals(400, mismatch.statusCode());
        assertEquals("Request ID does not match that in policy! For Update operations these must match.",
                json(mismatch).get("message").asText());
        HttpResponse<String> badId = admin(port, "POST", "/tyk/policies", "{\"id\": \"../escape\"}");
        assertEquals(AuthGatewayTest.json(badId).get("message").asText(),
                "Invalid Policy ID: Allowed characters: a-z, A-Z, 0-9, ., _, -, ~");
        HttpResponse<String> badField = admin(port, "POST", "/tyk/policies", "{\"id\": \"bad\", \"rate\": \"x\"}");
        assertEquals(400, badField.statusCode());
        assertTrue(json(badField).get("message").asText().contains("/rate"), badField.body());
        assertFalse(Files.exists(dir.resolve("policies/bad.json")), "nothing written");

        assertEquals("deleted", json(admin(port, "DELETE", "/tyk/policies/silver", null)).get("action").asText());
        HttpResponse<String> again = admin(port, "DELETE", "/tyk/policies/silver", null);
        assertEquals(500, again.statusCode());
        assertEquals("Delete failed", json(again).get("message").asText());
    }

}
