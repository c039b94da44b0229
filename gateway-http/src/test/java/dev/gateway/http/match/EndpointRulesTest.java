package dev.gateway.http.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Which entry a request meets: Tyk's reach for most rules, the whole path for allow rules, first match wins. */
class EndpointRulesTest {

    private static final EndpointRules.Matching TYK = new EndpointRules.Matching(false, false, false);

    private static MatchInput path(String path) {
        return MatchInput.of(path, "/api");
    }

    @Test
    void unanchoredRulesMatchAnywhereBelowTheListenPathButNeverInsideIt() {
        EndpointRules<String> rules = EndpointRules.<String>builder(TYK).add("/admin", "", false, "deny").build();
        assertEquals("deny", rules.first(path("/api/admin/users"), "GET"));
        assertEquals("deny", rules.first(path("/api/v1/admin"), "GET"));
        EndpointRules<String> api = EndpointRules.<String>builder(TYK).add("/api", "", false, "x").build();
        assertNull(api.first(MatchInput.of("/shop/api/users", "/shop/api"), "GET"),
                "an entry is never looked for inside the listen path (Tyk's 2933)");
    }

    @Test
    void anEntryMayNameTheWholePathFromItsStart() {
        EndpointRules<String> rules = EndpointRules.<String>builder(TYK)
                .add("/helloworld.Greeter/SayHello", "POST", false, "limit").build();
        MatchInput call = MatchInput.of("/helloworld.Greeter/SayHello", "/helloworld.Greeter");
        assertEquals("/SayHello", call.underListenPath);
        assertEquals("limit", rules.first(call, "POST"));
        assertNull(rules.first(MatchInput.of("/v1/helloworld.Greeter/SayHello", "/v1/helloworld.Greeter"), "POST"),
                "from the start of the whole path only");
    }

    @Test
    void wholeRulesMatchExactlyWhatTheyName() {
        EndpointRules<String> rules = EndpointRules.<String>builder(TYK)
                .addWhole("/users/{id}", "GET", false, "user")
                .addWhole("/pkg.Svc/Get", "POST", false, "method")
                .build();
        assertEquals("user", rules.first(path("/api/users/7"), "GET"));
        assertEquals("user", rules.first(path("/api/users/7/"), "GET"), "a trailing slash never counts");
        assertNull(rules.first(path("/api/users/7/delete"), "GET"));
        assertNull(rules.first(path("/api/users/7"), "DELETE"));
        assertNull(rules.first(path("/api/pkg.Svc/GetAll"), "POST"));
        assertEquals("method", rules.first(path("/api/pkg.Svc/Get"), "POST"));
    }

    @Test
    void theFirstEntryThatMatchesWins() {
        EndpointRules<String> rules = EndpointRules.<String>builder(TYK)
                .add("/a", "POST", false, "post")
                .add("/a", "", false, "any")
                .add("/a/b", "", false, "deeper")
                .build();
        assertEquals("post", rules.first(path("/api/a/b"), "POST"));
        assertEquals("any", rules.first(path("/api/a/b"), "GET"), "file order, not specificity, as in Tyk");
    }

    @Test
    void prefixMatchingAlsoTriesTheWholePath() {
        EndpointRules<String> rules = EndpointRules.<String>builder(new EndpointRules.Matching(true, true, true))
                .add("/api/users", "", false, "whole").build();
        assertEquals("whole", rules.first(path("/api/USERS"), "GET"), "ignore_endpoint_case");
        assertNull(rules.first(path("/api/users/7"), "GET"), "suffix matching anchors the end");
    }
}
