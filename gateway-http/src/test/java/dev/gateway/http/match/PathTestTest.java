package dev.gateway.http.match;

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
        "/users/{id}, /users/7", "/users/{id}, /users/7/x", "/files/*, /files/a/b", "/a+b, /aab",
        "/internal/{id}, /internal/7", "/internal/{id}, /items/1", "(?i)/admin, /ADMIN", "/a(b)?c, /ac",
        "/x[ab]+y, /xaby", "/v[0-9]+/users, /v12/users", "/ab?c, /ac", "'/abc{0,2}d', /abd", "/(foo|bar)/x, /bar/x",
        "^/exact$, /exact", "/one\\.two, /one.two", "/one\\.two, /oneXtwo", "/a.*z/q, /abcz/q"})
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
