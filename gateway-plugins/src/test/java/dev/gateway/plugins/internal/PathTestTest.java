package dev.gateway.plugins.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gateway.core.config.EndpointPaths;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The plain test means exactly what Tyk's expression means, for every anchoring and case. */
class PathTestTest {

    @ParameterizedTest
    @CsvSource({
        "/admin, /admin", "/admin, /admin/users", "/admin, /v1/admin", "/admin, /adm", "/admin, /ADMIN/x",
        "/admin, /administrators", "/pkg.Svc/Get, /pkg.Svc/Get", "/pkg.Svc/Get, /pkgXSvc/Get",
        "/pkg.Svc/Get, /pkg.Svc/GetAll", "/pkg.Svc/Get, /x/pkg.Svc/Get", "/a/, /a", "/, /", "/, /x",
        "/users/{id}, /users/7", "/users/{id}, /users/7/x", "/files/*, /files/a/b", "/a+b, /aab"})
    void agreesWithTheExpression(String entry, String path) {
        for (boolean start : new boolean[] {false, true}) {
            for (boolean end : new boolean[] {false, true}) {
                for (boolean caseless : new boolean[] {false, true}) {
                    boolean expected = EndpointPaths.compile(entry, caseless, start, end).matcher(path).find();
                    assertEquals(expected, PathTest.of(entry, caseless, start, end).test(path),
                            entry + " on " + path + " start=" + start + " end=" + end + " caseless=" + caseless);
                }
            }
        }
    }
}
