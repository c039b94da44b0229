package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gateway.http.support.Http1;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The liveness endpoint lives on the gateway's own port, ahead of any API. */
class StatusEndpointTest {

    @TempDir
    Path dir;

    @Test
    void answersJsonOnTheGatewayPortAheadOfARootApi() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = ProxyUnderTest.start(dir, TykApi.keyless("root", "/", upstream.url()));
                RawClient client = RawClient.connect(gateway.port())) {
            Http1.Response status = client.get("/hello");
            assertEquals(200, status.status());
            assertEquals("application/json", status.header("Content-Type"));
            assertEquals(ProxyUnderTest.STATUS_BODY, status.bodyText());
            assertEquals(0, upstream.requestCount());
            // Only the exact path is the endpoint; the connection stays open after it.
            assertEquals("up", client.get("/hello/world").bodyText());
            assertEquals("/hello/world", upstream.takeRequest().target());
        }
    }

    @Test
    void isAbsentFromOtherListeners() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("up");
                ProxyUnderTest gateway = ProxyUnderTest.builder(dir)
                        .conf(conf -> conf.put("disable_ports_whitelist", true))
                        .api(TykApi.keyless("own-port", "/api", upstream.url()).listenPort(9001))
                        .start();
                RawClient client = RawClient.connect(gateway.port(9001))) {
            Http1.Response response = client.get("/hello");
            assertEquals(404, response.status());
            assertEquals("{\"error\": \"no API matches this request\"}", response.bodyText());
            assertEquals("up", client.get("/api/x").bodyText());
        }
    }
}
