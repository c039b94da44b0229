package dev.gateway.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ListenPathsTest {

    @ParameterizedTest(name = "''{0}'' -> ''{1}''")
    @CsvSource(quoteCharacter = '\'', value = {
            "'',          /",
            "'   ',       /",
            "/,           /",
            "//,          /",
            "/api,        /api",
            "/api/,       /api",
            "/api//,      /api",
            "api,         /api",
            "api/,        /api",
            "' /api/ ',   /api",
            "/a/b/,       /a/b",
            "/a//b/,      /a//b",
            "/API/,       /API",
    })
    void normalizesToLeadingSlashWithoutTrailingSlash(String raw, String expected) {
        assertEquals(expected, ListenPaths.normalize(raw));
    }

    @Test
    void nullIsTheRoot() {
        assertEquals("/", ListenPaths.normalize(null));
    }

    @Test
    void normalizingTwiceChangesNothing() {
        for (String raw : new String[] {"", "/", "/api/", "api", "/a/b//"}) {
            String once = ListenPaths.normalize(raw);
            assertEquals(once, ListenPaths.normalize(once));
        }
    }
}
