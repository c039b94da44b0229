package dev.gateway.healthcheck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.tls.TlsContexts;
import dev.gateway.core.transport.Transport;
import io.netty.channel.Channel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** How a {@code check_list} entry becomes a check, and how its timeout is read. */
class ChecksTest {

    /** Reads API definitions as the loader does: Tyk's snake_case names, unknown fields ignored. */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private static final Duration FALLBACK = Duration.ofMillis(500);
    private static final Class<? extends Channel> CHANNEL = Transport.select().channelClass();

    private static TlsContexts tls;

    @BeforeAll
    static void contexts() throws SSLException {
        tls = TlsContexts.forClients();
    }

    /** An API definition from Tyk JSON. */
    static ApiDefinition api(String json) {
        try {
            return MAPPER.readValue(json, ApiDefinition.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The check for the API's first {@code check_list} entry, given as JSON. */
    private static HostCheck check(String apiProtocol, String checkJson) {
        ApiDefinition api = api("{\"api_id\": \"a\", \"protocol\": \"" + apiProtocol
                + "\", \"uptime_tests\": {\"check_list\": [" + checkJson + "]}}");
        return Checks.of(api, api.uptimeTests().checkList().get(0), tls, CHANNEL);
    }

    // --- which kind ---------------------------------------------------------------------------------------------

    @Test
    void bareHostAndPortWithCommandsOnATcpApiIsAPlainTcpCheck() {
        HostCheck check = check("tcp", """
                {"url": "Redis.Local:6379", "commands": [{"name": "send", "message": "PING\\r\\n"},
                 {"name": "expect", "message": "+PONG"}]}""");

        TcpCheck tcp = assertInstanceOf(TcpCheck.class, check);
        assertEquals("redis.local:6379", tcp.hostKey());
        assertNull(tcp.endpoint().tls());
    }

    @Test
    void bareHostAndPortOnATlsApiIsStillPlainTcp() {
        TcpCheck tcp = assertInstanceOf(TcpCheck.class, check("tls", "{\"url\": \"10.0.0.5:6379\"}"));
        assertNull(tcp.endpoint().tls());
    }

    @Test
    void bareHostAndPortWithCommandsIsTcpEvenOnAnHttpApi() {
        assertInstanceOf(TcpCheck.class, check("http", """
                {"url": "db:5432", "commands": [{"name": "expect", "message": "ok"}]}"""));
    }

    @Test
    void protocolTlsMakesATlsTcpCheck() {
        TcpCheck tcp = assertInstanceOf(TcpCheck.class, check("tcp", "{\"url\": \"db:5432\", \"protocol\": \"tls\"}"));
        assertNotNull(tcp.endpoint().tls());
        assertEquals("db:5432", tcp.hostKey());
    }

    @Test
    void tlsSchemeMakesATlsTcpCheck() {
        TcpCheck tcp = assertInstanceOf(TcpCheck.class, check("", "{\"url\": \"tls://db:5432\"}"));
        assertNotNull(tcp.endpoint().tls());
    }

    @Test
    void tcpSchemeIsPlain() {
        TcpCheck tcp = assertInstanceOf(TcpCheck.class, check("tls", "{\"url\": \"tcp://db:5432\"}"));
        assertNull(tcp.endpoint().tls());
    }

    @Test
    void httpUrlIsAnHttpCheckWithTheDefaultPort() {
        HttpCheck http = assertInstanceOf(HttpCheck.class, check("", "{\"url\": \"http://API.example.com/health\"}"));
        assertEquals("api.example.com:80", http.hostKey());
        assertNull(http.endpoint().tls());
    }

    @Test
    void httpsUrlIsAnHttpCheckOverTls() {
        HttpCheck http = assertInstanceOf(HttpCheck.class, check("http", "{\"url\": \"https://example.com/h\"}"));
        assertEquals("example.com:443", http.hostKey());
        assertNotNull(http.endpoint().tls());
    }

    @Test
    void protocolReplacesTheUrlScheme() {
        HttpCheck http = assertInstanceOf(HttpCheck.class,
                check("", "{\"url\": \"http://example.com:8443/h\", \"protocol\": \"https\"}"));
        assertNotNull(http.endpoint().tls());
        assertEquals("example.com:8443", http.hostKey());
    }

    @Test
    void httpUrlWithCommandsOnATcpApiIsATcpCheck() {
        TcpCheck tcp = assertInstanceOf(TcpCheck.class, check("tcp", """
                {"url": "http://example.com", "commands": [{"name": "expect", "message": "220"}]}"""));
        assertEquals("example.com:80", tcp.hostKey());
    }

    @Test
    void ipv6HostKeyKeepsItsBrackets() {
        assertEquals("[::1]:6379", check("tcp", "{\"url\": \"[::1]:6379\"}").hostKey());
    }

    // --- what cannot run ----------------------------------------------------------------------------------------

    @Test
    void checkWithoutUrlIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> check("tcp", "{\"commands\": [{\"name\": \"expect\", \"message\": \"x\"}]}"));
        assertTrue(e.getMessage().contains("no url"), e.getMessage());
        assertTrue(e.getMessage().contains("API a"), e.getMessage());
    }

    @Test
    void bareHostAndPortOnAnHttpApiWithoutCommandsIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> check("http", "{\"url\": \"example.com:8080\"}"));
        assertTrue(e.getMessage().contains("no scheme"), e.getMessage());
    }

    @Test
    void tcpCheckWithoutPortIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> check("tcp", "{\"url\": \"tcp://db\"}"));
        assertTrue(e.getMessage().contains("port"), e.getMessage());
    }

    @Test
    void badPortIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> check("tcp", "{\"url\": \"db:99999\"}"));
        assertThrows(IllegalArgumentException.class, () -> check("tcp", "{\"url\": \"db:redis\"}"));
    }

    @Test
    void unknownProtocolAndSchemeAreRejected() {
        IllegalArgumentException protocol = assertThrows(IllegalArgumentException.class,
                () -> check("tcp", "{\"url\": \"db:1\", \"protocol\": \"udp\"}"));
        assertTrue(protocol.getMessage().contains("'udp'"), protocol.getMessage());
        IllegalArgumentException scheme = assertThrows(IllegalArgumentException.class,
                () -> check("", "{\"url\": \"ftp://files:21\"}"));
        assertTrue(scheme.getMessage().contains("'ftp'"), scheme.getMessage());
    }

    @Test
    void badTimeoutIsRejectedNamingTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> check("", "{\"url\": \"http://h/\", \"timeout\": \"soon\"}"));
        assertTrue(e.getMessage().contains("'soon'"), e.getMessage());
    }

    @Test
    void invalidHeaderIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> check("", "{\"url\": \"http://h/\", \"headers\": {\"X-Bad\": \"a\\r\\nInjected: yes\"}}"));
    }

    // --- timeouts -----------------------------------------------------------------------------------------------

    @Test
    void numberIsMilliseconds() {
        assertEquals(Duration.ofMillis(750), timeout("750"));
        assertEquals(Duration.ofMillis(999_999), timeout("999999"));
        assertEquals(Duration.ofNanos(1_500_000), timeout("1.5"));
    }

    @Test
    void numberOfAMillionOrMoreIsNanoseconds() {
        assertEquals(Duration.ofMillis(1), timeout("1000000"));
        assertEquals(Duration.ofSeconds(2), timeout("2000000000"));
    }

    @Test
    void stringIsAGoDuration() {
        assertEquals(Duration.ofMillis(500), timeout("\"500ms\""));
        assertEquals(Duration.ofSeconds(2), timeout("\"2s\""));
        assertEquals(Duration.ofMinutes(1), timeout("\"1m\""));
        assertEquals(Duration.ofMillis(1500), timeout("\"1.5s\""));
        assertEquals(Duration.ofNanos(250_000), timeout("\"250us\""));
        assertEquals(Duration.ofNanos(250_000), timeout("\"250\u00b5s\""));
        assertEquals(Duration.ofNanos(100), timeout("\"100ns\""));
        assertEquals(Duration.ofSeconds(90), timeout("\"1m30s\""));
        assertEquals(Duration.ofHours(1), timeout("\"1h\""));
    }

    @Test
    void zeroNullOrMissingMeansTheFallback() {
        assertEquals(FALLBACK, timeout("0"));
        assertEquals(FALLBACK, timeout("\"0\""));
        assertEquals(FALLBACK, timeout("\"0s\""));
        assertEquals(FALLBACK, timeout("null"));
        assertEquals(FALLBACK, timeout("\"\""));
        assertEquals(FALLBACK, CheckTimeouts.parse(null, FALLBACK));
    }

    @Test
    void invalidTimeoutsAreRejectedNamingTheValue() {
        for (String json : new String[] {"\"500\"", "\"5 parsecs\"", "\"ms\"", "\"1.2.3s\"", "\"-5s\"", "-1",
                "true", "{}"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> timeout(json),
                    json);
            String shown = json.startsWith("\"") ? json.substring(1, json.length() - 1) : json;
            assertTrue(e.getMessage().contains(shown), e.getMessage());
        }
    }

    private static Duration timeout(String json) {
        try {
            JsonNode node = MAPPER.readTree(json);
            return CheckTimeouts.parse(node, FALLBACK);
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    // --- bodies -------------------------------------------------------------------------------------------------

    @Test
    void base64BodyIsDecoded() {
        assertArrayEquals("{\"ping\": true}".getBytes(StandardCharsets.UTF_8),
                Checks.body("eyJwaW5nIjogdHJ1ZX0="));
    }

    @Test
    void bodyThatIsNotBase64IsSentAsWritten() {
        assertArrayEquals("{\"ping\": true}".getBytes(StandardCharsets.UTF_8), Checks.body("{\"ping\": true}"));
        assertArrayEquals(new byte[0], Checks.body(null));
    }
}
