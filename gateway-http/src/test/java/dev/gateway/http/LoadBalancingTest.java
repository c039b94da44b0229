package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gateway.http.support.Clients;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.RawClient;
import dev.gateway.http.support.TestUpstream;
import dev.gateway.http.support.TykApi;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round robin over {@code target_list} with {@code enable_load_balancing}. */
class LoadBalancingTest {

    @TempDir
    Path dir;

    private final List<TestUpstream> upstreams = new ArrayList<>();

    @BeforeEach
    void startUpstreams() throws Exception {
        for (String name : List.of("a", "b", "c")) {
            upstreams.add(TestUpstream.start(name));
        }
    }

    @AfterEach
    void stopUpstreams() {
        upstreams.forEach(TestUpstream::close);
    }

    private TykApi balanced() {
        return TykApi.keyless("lb", "/lb", "").loadBalance(upstreams.get(0).url(), upstreams.get(1).url(),
                upstreams.get(2).url());
    }

    @Test
    void roundRobinTakesEachTargetInTurnPerRequest() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, balanced());
                RawClient client = RawClient.connect(gateway.port())) {
            List<String> order = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                order.add(client.get("/lb/x").bodyText());
            }
            assertEquals(List.of("a", "b", "c", "a", "b", "c", "a", "b", "c"), order);
        }
    }

    @Test
    void roundRobinHoldsAcrossClientConnections() throws Exception {
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, balanced())) {
            List<String> order = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                try (RawClient client = RawClient.connect(gateway.port())) {
                    order.add(client.get("/lb/x").bodyText());
                }
            }
            assertEquals(List.of("a", "b", "c", "a", "b", "c"), order);
        }
    }

    @Test
    void eachTargetKeepsItsPooledConnection() throws Exception {
        HttpClient client = Clients.newClient();
        try (ProxyUnderTest gateway = ProxyUnderTest.start(dir, balanced())) {
            for (int i = 0; i < 12; i++) {
                HttpResponse<String> response = client.send(Clients.request(gateway.uri("/lb/x")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
            }
            for (TestUpstream upstream : upstreams) {
                assertEquals(4, upstream.requestCount(), upstream.name());
                assertEquals(1, upstream.connectionCount(), upstream.name());
            }
        }
    }
}
