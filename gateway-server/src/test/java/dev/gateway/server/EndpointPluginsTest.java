package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.http.support.TestUpstream;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The endpoint plugins that decide on a request before it goes anywhere, over HTTP/1.1 and HTTP/2: the endpoint
 * lists, IP lists, size limits, header transforms and URL rewrites, through a gateway that loads the definition
 * docs/endpoint-plugins.md prints. The upstream answers with the path it was asked for, and must see nothing a
 * plugin refused.
 */
class EndpointPluginsTest extends GatewayFixture {

    private static final String FORBIDDEN = "{\"error\": \"Requested endpoint is forbidden\"}";
    private static final String IP_REFUSED = "{\"error\": \"access from this IP has been disallowed\"}";
    private static final String TOO_LARGE = "{\"error\": \"Request is too large\"}";

    private Gateway gateway;

    @BeforeEach
    void start() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("http_server_options").put("enable_http2", true);
        ObjectNode plugins = (ObjectNode) ConfFolder.JSON.readTree(
                DocsExamples.byFile("endpoint-plugins.md", "plugins.json").text());
        ((ObjectNode) plugins.get("proxy")).put("target_url", upstream.url("/"));
        folder.writeConf(conf).writeApi("plugins.json", plugins)
                .writeApi("guarded.json", guarded())
                .writeApi("outside.json", withIps("outside", "allowed_ips", "10.0.0.0/8"))
                .writeApi("inside.json", withIps("inside", "allowed_ips", "127.0.0.1/32", "::1"))
                .writeApi("blocked.json", withIps("blocked", "ip_blacklist", "127.0.0.0/8"))
                .writeApi("rewrites.json", smuggling());
        gateway = startGateway(folder.conf);
    }

    private PluginClient client(String protocol) {
        return new PluginClient(protocol, gateway.gatewayPort(), dir);
    }

    @ParameterizedTest
    @ValueSource(strings = {PluginClient.HTTP_1_1, PluginClient.H2C})
    void blackListedPathIsRefusedHoweverItIsSpelled(String protocol) throws Exception {
        PluginClient client = client(protocol);
        for (String path : new String[] {"/shop/admin", "/shop//admin", "/shop/admin/", "/shop/%61dmin",
                "/shop/admin/users", "/shop/admin?x=1"}) {
            PluginClient.Reply reply = client.get(path);
            assertEquals(403, reply.status(), path);
            assertEquals(FORBIDDEN, reply.body(), path);
        }
        for (String path : new String[] {"/shop/./admin", "/shop/x/../admin", "/shop/admin%2Fx"}) {
            assertEquals(400, client.get(path).status(), path + " passes the path policy");
        }
        assertEquals(0, upstream.requestCount(), "the upstream saw a refused request");
        assertEquals(upstream.bodyFor("/items"), client.get("/shop/items").body());
        log.awaitLogged(Level.INFO, "api=plugins", "refused: the endpoint is black-listed");
    }

    @ParameterizedTest
    @ValueSource(strings = {PluginClient.HTTP_1_1, PluginClient.H2C})
    void whiteListServesOnlyWhatItNames(String protocol) throws Exception {
        PluginClient client = client(protocol);
        assertEquals(upstream.bodyFor("/users/7"), client.get("/guarded/users/7").body());
        assertEquals(upstream.bodyFor("/status"), client.get("/guarded/status").body(), "ignored paths are served");
        assertEquals(200, client.get("/guarded/users/7/").status(), "a trailing slash never counts");
        assertEquals(200, client.get("/guarded//users/%37").status(), "the canonical, decoded path is matched");
        for (String path : new String[] {"/guarded/users", "/guarded/users/7/orders", "/guarded/orders",
                "/guarded/Users/7"}) {
            PluginClient.Reply reply = client.get(path);
            assertEquals(403, reply.status(), path);
            assertEquals(FORBIDDEN, reply.body(), path);
        }
        assertEquals(403, client.send("DELETE", "/guarded/users/7", null, false).status(), "another method");
        assertEquals(4, upstream.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {PluginClient.HTTP_1_1, PluginClient.H2C})
    void ipListsCheckTheConnectionsClient(String protocol) throws Exception {
        PluginClient client = client(protocol);
        PluginClient.Reply outside = client.get("/outside/x", "X-Forwarded-For: 10.1.2.3", "X-Real-IP: 10.1.2.3");
        assertEquals(403, outside.status(), "forwarding headers are not the client");
        assertEquals(IP_REFUSED, outside.body());
        assertEquals(IP_REFUSED, client.get("/blocked/x").body());
        assertEquals(upstream.bodyFor("/x"), client.get("/inside/x").body());
        assertEquals(1, upstream.requestCount());
        log.awaitLogged(Level.INFO, "api=outside", "client=/127.0.0.1", "access from this IP has been disallowed");
    }

    @ParameterizedTest
    @ValueSource(strings = {PluginClient.HTTP_1_1, PluginClient.H2C})
    void sizeLimitRefusesADeclaredLengthBeforeAnyUpstreamIsAsked(String protocol) throws Exception {
        PluginClient client = client(protocol);
        PluginClient.Reply reply = client.send("POST", "/shop/uploads", new byte[4097], false);
        assertEquals(413, reply.status());
        assertEquals(TOO_LARGE, reply.body());
        assertEquals(0, upstream.requestCount());
        assertEquals(200, client.send("POST", "/shop/uploads", new byte[4096], false).status(), "at the limit");
        assertEquals(200, client.send("POST", "/shop/other", new byte[8192], false).status(),
                "another path has the version's limit only");
    }

    @ParameterizedTest
    @ValueSource(strings = {PluginClient.HTTP_1_1, PluginClient.H2C})
    void sizeLimitCountsABodyThatDeclaresNoLength(String protocol) throws Exception {
        PluginClient client = client(protocol);
        PluginClient.Reply reply = client.send("POST", "/shop/uploads", new byte[20_000], true);
        assertEquals(413, reply.status());
        assertEquals(TOO_LARGE, reply.body());
        assertEquals(200, client.send("POST", "/shop/uploads", new byte[4000], true).status());
        PluginClient.Reply get = client.send("GET", "/shop/uploads", new byte[2_000_000], true);
        assertEquals(413, get.status(), "a GET with a body over the version's limit is held to it too");
    }

    @ParameterizedTest
    @ValueSource(strings = {PluginClient.HTTP_1_1, PluginClient.H2C})
    void headersAreTransformedOnTheWayUpAndDown(String protocol) throws Exception {
        PluginClient.Reply reply = client(protocol).get("/shop/items", "X-Debug: 1", "Cookie: session=s3cr3t",
                "X-Keep: yes");
        assertEquals(200, reply.status());
        TestUpstream.Recorded seen = upstream.takeRequest();
        assertEquals("ours", seen.header("X-Gateway"), "global_headers");
        assertNull(seen.header("X-Debug"), "global_headers_remove");
        assertNull(seen.header("Cookie"), "delete_headers");
        assertEquals("127.0.0.1", seen.header("X-Client"), "$tyk_context.remote_addr");
        assertEquals("yes", seen.header("X-Keep"));
        assertEquals("gateway", reply.header("X-Served-By"), "global_response_headers");
        assertEquals("max-age=60", reply.header("Cache-Control"), "transform_response_headers");

        PluginClient.Reply other = client(protocol).get("/shop/other", "Cookie: session=s3cr3t");
        TestUpstream.Recorded plain = upstream.takeRequest();
        assertEquals("session=s3cr3t", plain.header("Cookie"), "the entry is for /items only");
        assertEquals("ours", plain.header("X-Gateway"));
        assertNull(other.header("Cache-Control"));
    }

    @ParameterizedTest
    @ValueSource(strings = {PluginClient.HTTP_1_1, PluginClient.H2C})
    void rewriteSendsTheUpstreamTheNewPath(String protocol) throws Exception {
        PluginClient client = client(protocol);
        assertEquals(upstream.bodyFor("/items/42"), client.get("/shop/old/42").body());
        assertEquals("/items/42", upstream.takeRequest().target(), "the query is not carried over");
        assertEquals(upstream.bodyFor("/old/abc"), client.get("/shop/old/abc").body(),
                "a pattern that does not match leaves the request as it came");
    }

    @ParameterizedTest
    @ValueSource(strings = {PluginClient.HTTP_1_1, PluginClient.H2C})
    void aRewriteCannotSmuggleADotSegmentUpstream(String protocol) throws Exception {
        PluginClient client = client(protocol);
        assertEquals(upstream.bodyFor("/pages/help"), client.get("/go/x?to=pages/help").body());
        for (String to : new String[] {"../admin", "..%2fadmin", "a/./b", "%2e%2e/admin"}) {
            assertEquals(400, client.get("/go/x?to=" + to).status(), to);
        }
        assertEquals(1, upstream.requestCount());
        log.awaitLogged(Level.INFO, "api=rewrites", "a URL rewrite made");
    }

    /** A white list of one endpoint, beside an ignored one. */
    private ObjectNode guarded() {
        ObjectNode api = ConfFolder.api("guarded", "/guarded/", upstream.url("/"));
        ObjectNode paths = extendedPaths(api);
        paths.putArray("white_list").addObject().put("path", "/users/{id}").put("method", "GET");
        paths.putArray("ignored").addObject().put("path", "/status").put("method", "GET");
        return api;
    }

    /** A rewrite that puts a query value into the path: what the client sends must not walk out of it. */
    private ObjectNode smuggling() {
        ObjectNode api = ConfFolder.api("rewrites", "/go/", upstream.url("/"));
        extendedPaths(api).putArray("url_rewrites").addObject().put("path", "/x").put("method", "GET")
                .put("match_pattern", "/go/x\\?to=(.*)").put("rewrite_to", "/$1");
        return api;
    }

    private ObjectNode withIps(String id, String field, String... ips) {
        ObjectNode api = ConfFolder.api(id, "/" + id + "/", upstream.url("/"));
        ArrayNode list = api.putArray(field);
        Arrays.stream(ips).forEach(list::add);
        return api;
    }

    /** The {@code extended_paths} of the definition's {@code Default} version, with extended paths on. */
    static ObjectNode extendedPaths(ObjectNode api) {
        ObjectNode version = api.putObject("version_data").put("not_versioned", true).putObject("versions")
                .putObject("Default").put("name", "Default").put("use_extended_paths", true);
        return version.putObject("extended_paths");
    }
}
