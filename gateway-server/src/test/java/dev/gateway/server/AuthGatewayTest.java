package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.http.support.RawClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Keys made through Tyk's Gateway API ({@code /tyk/keys}) open a token-auth API over HTTP/1.1 and HTTP/2, with
 * Tyk's shapes, statuses and words; limits, quotas and the API's own limit; the secret; the control port.
 */
class AuthGatewayTest extends GatewayFixture {

    static final String SECRET = "352d20ee67be67f6340b4c0605b044b7";

    private final HttpClient http1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final HttpClient http2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    private Gateway start(Consumer<ObjectNode> conf) throws Exception {
        ObjectNode tyk = ConfFolder.tykConf();
        tyk.put("secret", SECRET);
        tyk.putObject("http_server_options").put("enable_http2", true);
        conf.accept(tyk);
        ObjectNode keyed = ConfFolder.api("keyed", "/keyed/", upstream.url("/"));
        keyed.put("use_keyless", false);
        keyed.put("strip_auth_data", true);
        ObjectNode open = ConfFolder.api("open", "/open/", upstream.url("/"));
        open.putObject("global_rate_limit").put("rate", 2).put("per", 60);
        ObjectNode orged = ConfFolder.api("orged", "/orged/", upstream.url("/"));
        orged.put("use_keyless", false).put("org_id", "org1");
        folder.writeConf(tyk).writeApi("keyed.json", keyed).writeApi("open.json", open).writeApi("orged.json", orged);
        return startGateway(folder.conf);
    }

    private static HttpResponse<String> send(HttpClient client, int port, String method, String path, String body,
            String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> admin(int port, String method, String path, String body) throws Exception {
        return send(HttpClient.newHttpClient(), port, method, path, body, "x-tyk-authorization", SECRET);
    }

    static JsonNode json(HttpResponse<String> response) throws Exception {
        return ConfFolder.JSON.readTree(response.body());
    }

    private static String session(String extra) {
        return "{\"org_id\": \"\", \"access_rights\": {\"keyed\": {\"api_id\": \"keyed\", \"api_name\": \"keyed\","
                + " \"versions\": [\"Default\"]}}" + extra + "}";
    }

    private static void assertRefused(int status, String message, HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.body().contains("\"error\": \"" + message + "\""), response.body());
    }

    @Test
    void aKeyMadeThroughTheApiOpensTheApiUntilItIsDeleted() throws Exception {
        Gateway gateway = start(tyk -> { });
        int port = gateway.gatewayPort();
        HttpResponse<String> created = admin(port, "POST", "/tyk/keys/create", session(""));
        assertEquals(200, created.statusCode(), created.body());
        JsonNode answer = json(created);
        assertEquals("ok", answer.get("status").asText());
        assertEquals("added", answer.get("action").asText());
        String key = answer.get("key").asText();
        assertEquals(32, key.length(), "org + a dash-less UUID, Tyk's legacy form: " + key);

        assertRefused(401, "Authorization field missing", send(http1, port, "GET", "/keyed/x", null));
        for (HttpClient client : new HttpClient[] {http1, http2}) {
            HttpResponse<String> served = send(client, port, "GET", "/keyed/items", null, "Authorization", key);
            assertEquals(200, served.statusCode(), served.body());
            assertEquals(upstream.bodyFor("/items"), served.body());
            assertNull(upstream.takeRequest().header("Authorization"), "strip_auth_data: the key stays here");
        }
        assertEquals(200, send(http1, port, "GET", "/keyed/b", null, "Authorization", "Bearer " + key).statusCode());
        upstream.takeRequest();

        JsonNode stored = json(admin(port, "GET", "/tyk/keys/" + key, null));
        assertTrue(stored.get("access_rights").has("keyed"));
        assertTrue(json(admin(port, "GET", "/tyk/keys", null)).get("keys").toString().contains(key));

        HttpResponse<String> inactive = admin(port, "PUT", "/tyk/keys/" + key, session(", \"is_inactive\": true"));
        assertEquals("modified", json(inactive).get("action").asText(), inactive.body());
        assertRefused(403, "Key is inactive, please renew",
                send(http2, port, "GET", "/keyed/x", null, "Authorization", key));

        HttpResponse<String> deleted = admin(port, "DELETE", "/tyk/keys/" + key, null);
        assertEquals("{\"key\":\"" + key + "\",\"status\":\"ok\",\"action\":\"deleted\"}", deleted.body());
        assertRefused(403, "Access to this API has been disallowed",
                send(http1, port, "GET", "/keyed/x", null, "Authorization", key));
        assertEquals(404, admin(port, "GET", "/tyk/keys/" + key, null).statusCode());
        assertEquals(404, admin(port, "DELETE", "/tyk/keys/" + key, null).statusCode());
    }

    @Test
    void customKeysExpiryAndTykErrors() throws Exception {
        Gateway gateway = start(tyk -> { });
        int port = gateway.gatewayPort();
        assertEquals("{\"key\":\"my-custom-key\",\"status\":\"ok\",\"action\":\"added\"}",
                admin(port, "POST", "/tyk/keys/my-custom-key", session("")).body());
        assertEquals(200, send(http1, port, "GET", "/keyed/x", null, "Authorization", "my-custom-key").statusCode());

        admin(port, "POST", "/tyk/keys/expired-key", session(", \"expires\": 1"));
        HttpResponse<String> expired = send(http1, port, "GET", "/keyed/x", null, "Authorization", "expired-key");
        assertRefused(401, "Key has expired, please renew", expired);

        HttpResponse<String> malformed = admin(port, "POST", "/tyk/keys/other-key", "{not json");
        assertEquals(400, malformed.statusCode());
        assertEquals("{\"status\":\"error\",\"message\":\"Request malformed\"}", malformed.body());
        HttpResponse<String> master = admin(port, "POST", "/tyk/keys/create", "{}");
        assertEquals(400, master.statusCode());
        assertEquals("Failed to create key, keys must have at least one Access Rights record set.",
                json(master).get("message").asText());
        assertEquals(404, admin(port, "PUT", "/tyk/keys/nobody", session("")).statusCode());
        assertEquals(400, admin(port, "POST", "/tyk/keys/ab", session("")).statusCode(), "under min_token_length");
    }

    @Test
    void aCustomKeyOfAnOrganisationIsFoundByItsBareName() throws Exception {
        Gateway gateway = start(tyk -> { });
        int port = gateway.gatewayPort();
        HttpResponse<String> created = admin(port, "POST", "/tyk/keys/my-org-key", "{\"org_id\": \"org1\","
                + " \"access_rights\": {\"orged\": {\"api_id\": \"orged\", \"versions\": [\"Default\"]}}}");
        assertEquals("org1my-org-key", json(created).get("key").asText(), "Tyk's legacy org + id");
        assertEquals(200, send(http1, port, "GET", "/orged/x", null, "Authorization", "my-org-key").statusCode());
        assertEquals(200, send(http1, port, "GET", "/orged/x", null, "Authorization", "org1my-org-key").statusCode());
        assertEquals(200, admin(port, "GET", "/tyk/keys/my-org-key?org_id=org1", null).statusCode());
        assertEquals(403, send(http1, port, "GET", "/keyed/x", null, "Authorization", "my-org-key").statusCode(),
                "another organisation's API finds no such key");
    }

    @Test
    void hashedKeysInTyksTokenFormat() throws Exception {
        Gateway gateway = start(tyk -> tyk.put("hash_keys", true).put("hash_key_function", "murmur64"));
        int port = gateway.gatewayPort();
        JsonNode created = json(admin(port, "POST", "/tyk/keys/create", session("").replace("\"org_id\": \"\"",
                "\"org_id\": \"org1\"")));
        String key = created.get("key").asText();
        String decoded = new String(java.util.Base64.getDecoder().decode(key), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(decoded.startsWith("{\"org\":\"org1\",\"id\":\"") && decoded.endsWith("\",\"h\":\"murmur64\"}"),
                decoded);
        String hash = created.get("key_hash").asText();
        assertEquals(16, hash.length(), "murmur64, as the token's h field says: " + hash);
        assertEquals(200, send(http1, port, "GET", "/keyed/x", null, "Authorization", key).statusCode());
        assertEquals(200, admin(port, "GET", "/tyk/keys/" + hash + "?hashed=1", null).statusCode());
        HttpResponse<String> listing = admin(port, "GET", "/tyk/keys", null);
        assertEquals(404, listing.statusCode());
        assertEquals("Hashed key listing is disabled in config (enable_hashed_keys_listing)",
                json(listing).get("message").asText());
    }

    @Test
    void theSecretIsRequiredAndComparedExactly() throws Exception {
        Gateway gateway = start(tyk -> { });
        int port = gateway.gatewayPort();
        String refused = "{\"status\":\"error\",\"message\":\"Attempted administrative access with invalid or"
                + " missing key!\"}";
        HttpResponse<String> none = send(http1, port, "GET", "/tyk/keys", null);
        assertEquals(403, none.statusCode());
        assertEquals(refused, none.body());
        HttpResponse<String> wrong = send(http1, port, "GET", "/tyk/keys", null, "X-Tyk-Authorization",
                SECRET.substring(1));
        assertEquals(refused, wrong.body());
        assertEquals(200, admin(port, "GET", "/tyk/keys", null).statusCode());
        assertEquals(0, upstream.requestCount(), "/tyk/ is never proxied");
    }

    @Test
    void aRateLimitAnswers429AndAQuota403WithTheirHeaders() throws Exception {
        Gateway gateway = start(tyk -> { });
        int port = gateway.gatewayPort();
        admin(port, "POST", "/tyk/keys/rated-key", session(", \"rate\": 3, \"per\": 60"));
        for (int i = 0; i < 3; i++) {
            assertEquals(200, send(http1, port, "GET", "/keyed/x", null, "Authorization", "rated-key").statusCode());
        }
        assertRefused(429, "Rate Limit Exceeded", send(http2, port, "GET", "/keyed/x", null, "Authorization",
                "rated-key"));

        admin(port, "POST", "/tyk/keys/quota-key", session(", \"quota_max\": 2, \"quota_renewal_rate\": 3600"));
        HttpResponse<String> first = send(http1, port, "GET", "/keyed/x", null, "Authorization", "quota-key");
        assertEquals("2", first.headers().firstValue("X-RateLimit-Limit").orElseThrow());
        assertEquals("1", first.headers().firstValue("X-RateLimit-Remaining").orElseThrow());
        long reset = Long.parseLong(first.headers().firstValue("X-RateLimit-Reset").orElseThrow());
        long now = System.currentTimeMillis() / 1000;
        assertTrue(reset > now + 3500 && reset <= now + 3600, "when the period renews: " + reset);
        assertEquals("0", send(http1, port, "GET", "/keyed/x", null, "Authorization", "quota-key").headers()
                .firstValue("X-RateLimit-Remaining").orElseThrow());
        HttpResponse<String> spent = send(http1, port, "GET", "/keyed/x", null, "Authorization", "quota-key");
        assertRefused(403, "Quota exceeded", spent);
        assertFalse(spent.headers().firstValue("X-RateLimit-Limit").isPresent(), "Tyk's default: not on refusals");
    }

    @Test
    void rateLimitHeadersFromTheRateLimitComeWithThe429() throws Exception {
        Gateway gateway = start(tyk -> tyk.put("rate_limit_response_headers", "rate_limits"));
        int port = gateway.gatewayPort();
        admin(port, "POST", "/tyk/keys/rated-key", session(", \"rate\": 2, \"per\": 60"));
        HttpResponse<String> first = send(http1, port, "GET", "/keyed/x", null, "Authorization", "rated-key");
        assertEquals("2", first.headers().firstValue("X-RateLimit-Limit").orElseThrow());
        assertEquals("1", first.headers().firstValue("X-RateLimit-Remaining").orElseThrow());
        send(http1, port, "GET", "/keyed/x", null, "Authorization", "rated-key");
        HttpResponse<String> limited = send(http1, port, "GET", "/keyed/x", null, "Authorization", "rated-key");
        assertRefused(429, "Rate Limit Exceeded", limited);
        assertEquals("0", limited.headers().firstValue("X-RateLimit-Remaining").orElseThrow());
        long reset = Long.parseLong(limited.headers().firstValue("X-RateLimit-Reset").orElseThrow());
        assertTrue(reset > System.currentTimeMillis() / 1000, "a token comes back later: " + reset);
    }

    @Test
    void theApiWideLimitHoldsForKeylessClients() throws Exception {
        Gateway gateway = start(tyk -> { });
        int port = gateway.gatewayPort();
        assertEquals(200, send(http1, port, "GET", "/open/a", null).statusCode());
        assertEquals(200, send(http2, port, "GET", "/open/b", null).statusCode());
        assertRefused(429, "API Rate Limit Exceeded", send(http1, port, "GET", "/open/c", null));
    }

    @Test
    void controlApiPortServesTheApiAndTheGatewayPortDoesNot() throws Exception {
        int controlPort = Ports.freePort();
        Gateway gateway = start(tyk -> tyk.put("control_api_port", controlPort));
        assertEquals(controlPort, gateway.controlPort());
        HttpResponse<String> created = admin(controlPort, "POST", "/tyk/keys/my-custom-key", session(""));
        assertEquals(200, created.statusCode());
        assertEquals(404, admin(gateway.gatewayPort(), "GET", "/tyk/keys", null).statusCode());
        assertEquals(200, send(http1, gateway.gatewayPort(), "GET", "/keyed/x", null, "Authorization",
                "my-custom-key").statusCode());
        assertEquals(200, send(http1, controlPort, "GET", "/hello", null).statusCode());
        assertEquals(404, send(http1, controlPort, "GET", "/keyed/x", null, "Authorization", "my-custom-key")
                .statusCode(), "no API on the control port");
    }

    @Test
    void allowedUrlsCannotBeBypassedBySpellingThePathAnotherWay() throws Exception {
        Gateway gateway = start(tyk -> { });
        int port = gateway.gatewayPort();
        admin(port, "POST", "/tyk/keys/acl-key", "{\"access_rights\": {\"keyed\": {\"api_id\": \"keyed\","
                + " \"versions\": [\"Default\"], \"allowed_urls\": [{\"url\": \"/public/{id}\","
                + " \"methods\": [\"GET\"]}]}}}");
        try (RawClient raw = RawClient.connect(port)) {
            assertEquals(200, raw.get("/keyed/public/7", "Authorization: acl-key").status());
            assertEquals(200, raw.get("/keyed/public/%37", "Authorization: acl-key").status(), "an encoded letter");
            assertEquals(200, raw.get("/keyed//public/7", "Authorization: acl-key").status(), "a doubled slash");
        }
        int served = upstream.requestCount();
        String[] bypasses = {"/keyed/admin", "/keyed/public/7/../../admin", "/keyed/public/%2e%2e/%2e%2e/admin",
            "/keyed/public/7%2F..%2F..%2Fadmin", "/keyed/%61dmin", "/keyed/%41DMIN", "/keyed/public/7/delete",
            "/keyed/public", "/keyed/PUBLIC/7"};
        for (String path : bypasses) {
            try (RawClient raw = RawClient.connect(port)) {
                int status = raw.get(path, "Authorization: acl-key").status();
                assertTrue(status == 403 || status == 400 || status == 404, path + " answered " + status);
            }
        }
        assertEquals(served, upstream.requestCount(), "no spelling reached the upstream");
    }

    @Test
    void anEmptySecretTurnsTheApiOff() throws Exception {
        Gateway gateway = start(tyk -> tyk.put("secret", ""));
        HttpResponse<String> refused = send(http1, gateway.gatewayPort(), "GET", "/tyk/keys", null);
        assertEquals(403, refused.statusCode());
        assertTrue(refused.body().contains("the control API is off"), refused.body());
    }
}
