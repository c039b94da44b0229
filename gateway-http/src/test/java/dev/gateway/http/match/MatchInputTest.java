package dev.gateway.http.match;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The path endpoint rules see: decoded, without its trailing slash, under the listen path and whole. */
class MatchInputTest {

    @Test
    void stripsTheListenPathAtItsEnd() {
        MatchInput input = MatchInput.of("/api/users/7", "/api");
        assertEquals("/users/7", input.underListenPath);
        assertEquals("/api/users/7", input.fullPath);
        assertEquals("/", MatchInput.of("/api", "/api").underListenPath);
        assertEquals("/", MatchInput.of("/api/", "/api").underListenPath);
    }

    @Test
    void decodesEscapesAndDropsTheTrailingSlash() {
        assertEquals("/admin", MatchInput.of("/%61dmin/", "/").underListenPath);
        assertEquals("/caf\u00e9", MatchInput.of("/caf%C3%A9", "/").fullPath);
        assertEquals("/a b", MatchInput.of("/a%20b", "/").fullPath);
        assertEquals("/", MatchInput.of("/", "/").fullPath);
    }
}
