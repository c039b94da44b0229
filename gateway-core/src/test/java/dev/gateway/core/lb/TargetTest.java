package dev.gateway.core.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class TargetTest {

    @ParameterizedTest(name = "{0} -> port {1}")
    @CsvSource({
            "http://backend.test,  80",
            "https://backend.test, 443",
            "ws://backend.test,    80",
            "wss://backend.test,   443",
            "h2c://backend.test,   80",
    })
    void schemeGivesTheDefaultPort(String raw, int port) {
        assertEquals(port, Target.parse(raw).port());
    }

    @Test
    void explicitPortWins() {
        Target target = Target.parse("https://backend.test:8443");

        assertEquals(8443, target.port());
        assertEquals("backend.test:8443", target.hostPort());
    }

    @Test
    void plainUrlHasEmptyPathAndQuery() {
        Target target = Target.parse("http://backend.test");

        assertEquals("http", target.scheme());
        assertEquals("backend.test", target.host());
        assertEquals("backend.test", target.hostHeader());
        assertEquals("", target.basePath());
        assertEquals("", target.query());
        assertFalse(target.tls());
    }

    @Test
    void basePathAndRawQueryAreKept() {
        Target target = Target.parse("http://backend.test:8080/base/v1/?key=a%20b&x=1");

        assertEquals("/base/v1/", target.basePath());
        assertEquals("key=a%20b&x=1", target.query());
    }

    @Test
    void percentEncodingInThePathStaysRaw() {
        assertEquals("/a%2Fb", Target.parse("http://backend.test/a%2Fb").basePath());
    }

    @Test
    void ipv6LiteralLosesItsBracketsForConnectingButKeepsThemInHostHeader() {
        Target target = Target.parse("http://[::1]:8080/base");

        assertEquals("::1", target.host());
        assertEquals(8080, target.port());
        assertEquals("[::1]:8080", target.hostHeader());
        assertEquals("[::1]:8080", target.hostPort());
        assertEquals("/base", target.basePath());
    }

    @Test
    void ipv6LiteralWithoutPortGetsTheDefault() {
        Target target = Target.parse("https://[2001:db8::1]");

        assertEquals("2001:db8::1", target.host());
        assertEquals(443, target.port());
        assertEquals("[2001:db8::1]", target.hostHeader());
        assertEquals("[2001:db8::1]:443", target.hostPort());
    }

    @Test
    void hostHeaderKeepsAnExplicitPortEvenTheDefaultOne() {
        assertEquals("backend.test:80", Target.parse("http://backend.test:80").hostHeader());
        assertEquals("backend.test:9000", Target.parse("http://backend.test:9000/x").hostHeader());
    }

    @Test
    void hostHeaderDropsUserInfo() {
        Target target = Target.parse("http://user:secret@backend.test:9000");

        assertEquals("backend.test:9000", target.hostHeader());
        assertEquals("backend.test", target.host());
    }

    @Test
    void schemeAndHostAreLowerCasedButHostHeaderIsAsWritten() {
        Target target = Target.parse("HTTPS://Backend.Test");

        assertEquals("https", target.scheme());
        assertEquals("backend.test", target.host());
        assertEquals("Backend.Test", target.hostHeader());
        assertTrue(target.tls());
    }

    @Test
    void rawIsTheTrimmedTextAndToStringShowsIt() {
        Target target = Target.parse("  http://backend.test/x  ");

        assertEquals("http://backend.test/x", target.raw());
        assertEquals("http://backend.test/x", target.toString());
    }

    @Test
    void tlsSchemesAreRecognised() {
        assertTrue(Target.parse("https://a.test").tls());
        assertTrue(Target.parse("wss://a.test").tls());
        assertTrue(Target.parse("tls://a.test:443").tls());
        assertFalse(Target.parse("ws://a.test").tls());
        assertFalse(Target.parse("tcp://a.test:9000").tls());
    }

    @Test
    void sameTextParsesToEqualTargets() {
        assertEquals(Target.parse("http://a.test:81/p"), Target.parse("http://a.test:81/p"));
    }

    /**
     * Docker and Compose service names often hold an underscore. Tyk (Go's net/url) accepts such a target; Java's
     * {@code URI} parses the authority as registry-based and reports no host.
     */
    @Test
    void hostWithUnderscoreIsAccepted() {
        Target target = Target.parse("http://my_backend:8080/api");

        assertEquals("my_backend", target.host());
        assertEquals(8080, target.port());
        assertEquals("my_backend:8080", target.hostHeader());
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"   "})
    void emptyIsRefused(String raw) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Target.parse(raw));
        assertEquals("is empty", e.getMessage());
    }

    @Test
    void missingSchemeIsRefusedSayingSo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Target.parse("backend.test/path"));
        assertTrue(e.getMessage().contains("no scheme"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"http:///path", "http:relative", "mailto:someone@example.com"})
    void missingHostIsRefused(String raw) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Target.parse(raw));
        assertTrue(e.getMessage().contains("no host"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://", "http://back end.test", "http://[::1"})
    void malformedUrlIsRefused(String raw) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Target.parse(raw));
        assertTrue(e.getMessage().contains(raw.trim()), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp://backend.test", "gopher://backend.test", "http://backend.test:99999"})
    void unusablePortIsRefused(String raw) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Target.parse(raw));
        assertTrue(e.getMessage().contains("port"), e.getMessage());
    }
}
