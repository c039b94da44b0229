package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gateway.http.support.Clients;
import dev.gateway.http.support.Http1;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which API a request reaches, and the request target the upstream then sees. */
class RoutingTest {

    private static final String NO_ROUTE = "{\"error\": \"no API matches this request\"}";

    @TempDir
    Path dir;

    private TestUpstream a;
    private TestUpstream b;
    private TestUpstream c;

    @BeforeEach
    void startUpstreams() throws Exception {
        a = TestUpstream.start("a");
        b = TestUpstream.start("b");
        c = TestUpstream.start("c");
    }

    @AfterEach
    void stopUpstreams() {
        a.close();
        b.close();
        c.close();
    }

    @Test
    void longestListenPathWins() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir,
                TykApi.keyless("short", "/api", a.url()),
                TykApi.keyless("long", "/api/v2", b.url()),
                TykApi.keyless("root", "/", c.url()))) {
            assertEquals("b", Clients.get(gateway.uri("/api/v2/items")).body());
            assertEquals("b", Clients.get(gateway.uri("/api/v2")).body());
            assertEquals("a", Clients.get(gateway.uri("/api/v1/items")).body());
            assertEquals("a", Clients.get(gateway.uri("/api/v2x")).body());
            assertEquals("c", Clients.get(gateway.uri("/other")).body());
        }
    }

    @Test
    void listenPathMatchesOnlyAtSegmentBoundary() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", a.url()))) {
            for (String path : new String[] {"/api", "/api/", "/api/x", "/api/x/y?z=1"}) {
                HttpResponse<String> response = Clients.get(gateway.uri(path));
                assertEquals(200, response.statusCode(), path);
                assertEquals("a", response.body(), path);
            }
            HttpResponse<String> apix = Clients.get(gateway.uri("/apix"));
            assertEquals(404, apix.statusCode());
            assertEquals(NO_ROUTE, apix.body());
            assertEquals(4, a.requestCount(), "/apix must not reach the upstream");
        }
    }

    @Test
    void listenPathWithTrailingSlashInDefinitionMatchesTheBarePath() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api/", a.url()))) {
            assertEquals(200, Clients.get(gateway.uri("/api")).statusCode());
            assertEquals(200, Clients.get(gateway.uri("/api/x")).statusCode());
            assertEquals(404, Clients.get(gateway.uri("/apix")).statusCode());
        }
    }

    @Test
    void domainRoutingUsesHostHeaderIgnoringPortAndCaseThenFallsBackToApisWithoutDomain() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir,
                TykApi.keyless("shop", "/api", a.url()).domain("shop.example.com"),
                TykApi.keyless("any", "/api", b.url()),
                TykApi.keyless("fallback", "/", c.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            assertEquals("a", client.get("/api/x", "Host: shop.example.com").bodyText());
            assertEquals("a", client.get("/api/x", "Host: SHOP.Example.COM:9443").bodyText());
            assertEquals("b", client.get("/api/x", "Host: other.example.com").bodyText());
            assertEquals("b", client.get("/api/x", "Host: shop.example.com.evil.test").bodyText());
            // The domain has no route for this path: the APIs without a domain still serve it.
            assertEquals("c", client.get("/elsewhere", "Host: shop.example.com").bodyText());
            // Absolute form: the target's authority wins over the Host header (RFC 9112 section 3.2.2).
            assertEquals("a", client.get("http://shop.example.com/api/x", "Host: other.example.com").bodyText());
        }
    }

    @Test
    void wildcardDomainMatchesSubdomainsAndAnExactDomainWinsOverIt() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir,
                TykApi.keyless("wild", "/api", a.url()).domain("*.example.com"),
                TykApi.keyless("exact", "/api", b.url()).domain("shop.example.com"),
                TykApi.keyless("any", "/api", c.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            assertEquals("a", client.get("/api/x", "Host: eu.example.com").bodyText());
            assertEquals("a", client.get("/api/x", "Host: deep.eu.example.com").bodyText());
            assertEquals("b", client.get("/api/x", "Host: shop.example.com").bodyText());
            assertEquals("c", client.get("/api/x", "Host: example.com").bodyText());
        }
    }

    @Test
    void domainOnlyApiAnswers404ForOtherHosts() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir,
                TykApi.keyless("shop", "/api", a.url()).domain("shop.example.com"));
                RawClient client = RawClient.connect(gateway.port())) {
            Http1.Response response = client.get("/api/x", "Host: other.example.com");
            assertEquals(404, response.status());
            assertEquals(NO_ROUTE, response.bodyText());
            assertEquals(0, a.requestCount());
        }
    }

    @Test
    void answers404JsonWhenNothingMatchesAndKeepsTheConnection() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", a.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            Http1.Response missing = client.get("/nothing/here");
            assertEquals(404, missing.status());
            assertEquals("application/json", missing.header("Content-Type"));
            assertEquals(NO_ROUTE, missing.bodyText());
            Http1.Response next = client.get("/api/x");
            assertEquals(200, next.status());
            assertEquals("a", next.bodyText());
            assertEquals(1, gateway.acceptedConnections());
        }
    }

    @Test
    void notFoundForARequestWithABodyDropsTheBodyAndKeepsTheConnection() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", a.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.send("POST /nothing HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
            Http1.Response missing = client.readResponse();
            assertEquals(404, missing.status());
            assertEquals(NO_ROUTE, missing.bodyText());
            // The rest of the refused body comes after the answer; it is read and dropped, not taken as a request.
            client.send("67890");
            Http1.Response next = client.get("/api/x");
            assertEquals(200, next.status());
            assertEquals("a", next.bodyText());
            assertEquals(1, a.requestCount());
        }
    }

    @Test
    void stripListenPathRemovesThePrefix() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", a.url()))) {
            Clients.get(gateway.uri("/api/users/7"));
            assertEquals("/users/7", a.takeRequest().target());
            Clients.get(gateway.uri("/api"));
            assertEquals("/", a.takeRequest().target());
        }
    }

    @Test
    void withoutStripListenPathTheFullPathGoesUpstream() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir,
                TykApi.keyless("api", "/api", a.url()).stripListenPath(false))) {
            Clients.get(gateway.uri("/api/users/7"));
            assertEquals("/api/users/7", a.takeRequest().target());
        }
    }

    @Test
    void targetBasePathAndQueryJoinWithTheRequest() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir,
                TykApi.keyless("api", "/api", a.url("/base/v1?key=k1")))) {
            Clients.get(gateway.uri("/api/items?q=2"));
            assertEquals("/base/v1/items?key=k1&q=2", a.takeRequest().target());
            Clients.get(gateway.uri("/api/items"));
            assertEquals("/base/v1/items?key=k1", a.takeRequest().target());
            Clients.get(gateway.uri("/api"));
            assertEquals("/base/v1?key=k1", a.takeRequest().target());
        }
    }

    @Test
    void targetBasePathWithTrailingSlashGetsOneSlash() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api/", a.url("/base/")))) {
            Clients.get(gateway.uri("/api/items"));
            assertEquals("/base/items", a.takeRequest().target());
        }
    }

    @Test
    void disableStripSlashKeepsTheTargetPathAsWrittenForTheApiRoot() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir,
                TykApi.keyless("folded", "/folded", a.url("/base/")),
                TykApi.keyless("kept", "/kept", a.url("/base/")).put("proxy.disable_strip_slash", true))) {
            Clients.get(gateway.uri("/folded/"));
            assertEquals("/base", a.takeRequest().target());
            Clients.get(gateway.uri("/kept/"));
            assertEquals("/base/", a.takeRequest().target());
            Clients.get(gateway.uri("/kept/x/"));
            assertEquals("/base/x/", a.takeRequest().target());
        }
    }

    @Test
    void queryStringPassesThroughUntouched() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", a.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            assertEquals(200, client.get("/api/search?q=a%20b&x=1&x=2&empty=&flag").status());
            assertEquals("/search?q=a%20b&x=1&x=2&empty=&flag", a.takeRequest().target());
            assertEquals(200, client.get("/api/search?").status());
            assertEquals("/search?", a.takeRequest().target());
        }
    }
}
