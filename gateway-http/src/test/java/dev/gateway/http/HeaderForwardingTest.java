package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.gateway.http.support.Http1;
import dev.gateway.http.support.OneUpstreamTest;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.RawUpstream;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import org.junit.jupiter.api.Test;

/** Header changes at the proxy boundary, checked where they land: at the upstream and at the client. */
class HeaderForwardingTest extends OneUpstreamTest {

    @Test
    void hopByHopRequestHeadersDoNotReachTheUpstream() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            Http1.Response response = client.get("/api/h",
                    "Connection: keep-alive, X-Session-Hop",
                    "X-Session-Hop: secret",
                    "Keep-Alive: timeout=5, max=100",
                    "Proxy-Authorization: Basic dXNlcjpwYXNz",
                    "Proxy-Connection: keep-alive",
                    "TE: trailers, deflate",
                    "Upgrade: h2c",
                    "X-End-To-End: kept");
            assertEquals(200, response.status());

            TestUpstream.Recorded seen = upstream.takeRequest();
            assertNull(seen.header("X-Session-Hop"), "a header named in Connection is hop-by-hop");
            assertNull(seen.header("Keep-Alive"));
            assertNull(seen.header("Proxy-Authorization"));
            assertNull(seen.header("Proxy-Connection"));
            assertNull(seen.header("Upgrade"));
            assertNull(seen.header("Connection"), "keep-alive is HTTP/1.1's default; nothing to say upstream");
            assertEquals("trailers", seen.header("TE"), "TE crosses a proxy only as 'trailers'");
            assertEquals("kept", seen.header("X-End-To-End"));
        }
    }

    @Test
    void teWithoutTrailersIsDropped() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            assertEquals(200, client.get("/api/h", "TE: deflate").status());
            assertNull(upstream.takeRequest().header("TE"));
        }
    }

    @Test
    void forwardedHeadersAreAppendedToWhatTheClientSent() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.get("/api/h",
                    "Host: client.example:8443",
                    "X-Forwarded-For: 203.0.113.7",
                    "X-Forwarded-Proto: https",
                    "X-Forwarded-Host: original.example");
            TestUpstream.Recorded seen = upstream.takeRequest();
            assertEquals("203.0.113.7, 127.0.0.1", seen.header("X-Forwarded-For"));
            assertEquals("https, http", seen.header("X-Forwarded-Proto"));
            assertEquals("original.example, client.example:8443", seen.header("X-Forwarded-Host"));
        }
    }

    @Test
    void forwardedHeadersAreAddedWhenAbsent() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            client.get("/api/h", "Host: client.example");
            TestUpstream.Recorded seen = upstream.takeRequest();
            assertEquals("127.0.0.1", seen.header("X-Forwarded-For"));
            assertEquals("http", seen.header("X-Forwarded-Proto"));
            assertEquals("client.example", seen.header("X-Forwarded-Host"));
        }
    }

    @Test
    void hostIsTheTargetsUnlessPreserveHostHeader() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir,
                TykApi.keyless("plain", "/plain", upstream.url()),
                TykApi.keyless("kept", "/kept", upstream.url()).preserveHostHeader());
                RawClient client = RawClient.connect(gateway.port())) {
            client.get("/plain/x", "Host: client.example:8443");
            assertEquals("127.0.0.1:" + upstream.port(), upstream.takeRequest().header("Host"));
            client.get("/kept/x", "Host: client.example:8443");
            assertEquals("client.example:8443", upstream.takeRequest().header("Host"));
        }
    }

    @Test
    void hopByHopResponseHeadersDoNotReachTheClient() throws Exception {
        try (RawUpstream raw = RawUpstream.start(conn -> {
            while (conn.readRequest() != null) {
                conn.write("HTTP/1.1 200 OK\r\n"
                        + "Connection: X-Upstream-Hop\r\n"
                        + "X-Upstream-Hop: internal\r\n"
                        + "Keep-Alive: timeout=30\r\n"
                        + "Proxy-Authenticate: Basic\r\n"
                        + "X-End-To-End: kept\r\n"
                        + "Content-Length: 2\r\n\r\nok");
            }
        });
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("api", "/api", raw.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            Http1.Response response = client.get("/api/x");
            assertEquals(200, response.status());
            assertEquals("ok", response.bodyText());
            assertNull(response.header("X-Upstream-Hop"));
            assertNull(response.header("Keep-Alive"));
            assertNull(response.header("Proxy-Authenticate"));
            assertNull(response.header("Connection"));
            assertEquals("kept", response.header("X-End-To-End"));
        }
    }
}
