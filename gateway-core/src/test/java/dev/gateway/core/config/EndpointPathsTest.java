package dev.gateway.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.api.Test;

/**
 * Tyk endpoint paths as patterns: {@code {name}} and {@code *} segments, regular expressions with Go's named
 * groups, and the prefix and suffix anchoring of {@code enable_path_prefix_matching} and
 * {@code enable_path_suffix_matching}. A pattern matches anywhere in the path unless anchored, as Go's
 * {@code MatchString} does, so these tests use {@link Matcher#find()}.
 */
class EndpointPathsTest {

    private static boolean matches(String tykPath, boolean prefix, boolean suffix, String requestPath) {
        return EndpointPaths.compile(tykPath, false, prefix, suffix).matcher(requestPath).find();
    }

    @Test
    void namedSegmentMatchesOneSegment() {
        assertEquals("/users/([^/]+)", EndpointPaths.regex("/users/{id}"));
        assertTrue(matches("/users/{id}", false, false, "/users/42"));
        assertFalse(matches("/users/{id}", false, false, "/users/"), "a segment is never empty");
    }

    @Test
    void longerPathIsExcludedOnlyWhenSuffixAnchored() {
        assertTrue(matches("/users/{id}", false, false, "/users/42/x"), "unanchored, the pattern matches a part");
        assertTrue(matches("/users/{id}", false, true, "/users/42"));
        assertFalse(matches("/users/{id}", false, true, "/users/42/x"));
    }

    @Test
    void trailingStarMatchesTheRestOfThePath() {
        assertEquals("/users/.*", EndpointPaths.regex("/users/*"));
        assertTrue(matches("/users/*", true, true, "/users/42"));
        assertTrue(matches("/users/*", true, true, "/users/42/posts/7"));
        assertFalse(matches("/users/*", true, true, "/customers/42"));
    }

    @Test
    void innerStarMatchesExactlyOneSegment() {
        assertEquals("/users/[^/]+/posts", EndpointPaths.regex("/users/*/posts"));
        assertTrue(matches("/users/*/posts", true, true, "/users/42/posts"));
        assertFalse(matches("/users/*/posts", true, true, "/users/42/x/posts"));
    }

    @Test
    void trailingSlashOfAnEntryDoesNotCount() {
        assertEquals(EndpointPaths.regex("/admin"), EndpointPaths.regex("/admin/"));
        assertEquals("/", EndpointPaths.regex("/"), "the root path stays itself");
        assertEquals("/admin\\/", EndpointPaths.regex("/admin\\/"), "an escaped slash is the regex's own");
    }

    @Test
    void goNamedGroupsCompileAsJavaNamedGroups() {
        Pattern pattern = EndpointPaths.compile("/users/(?P<id>[0-9]+)", false, true, true);

        Matcher matcher = pattern.matcher("/users/42");
        assertTrue(matcher.find());
        assertEquals("42", matcher.group("id"));
        assertFalse(pattern.matcher("/users/abc").find());
    }

    @Test
    void prefixAnchoringPinsThePatternToTheStartOfThePath() {
        assertTrue(matches("/users", false, false, "/api/users"));
        assertFalse(matches("/users", true, false, "/api/users"));
        assertTrue(matches("/users", true, false, "/users/42"), "a prefix match, not an exact one");
        assertEquals("^/users", EndpointPaths.compile("/users", false, true, false).pattern());
    }

    /** Tyk anchors only a path that starts with a slash at the start, and never anchors twice at the end. */
    @Test
    void anchoringLeavesAPatternThatIsNotAPathOrAlreadyAnchoredAlone() {
        assertEquals("users", EndpointPaths.compile("users", false, true, false).pattern());
        assertEquals("^/users$", EndpointPaths.compile("/users$", false, true, true).pattern());
    }

    @Test
    void ignoreCaseMatchesAnyCase() {
        assertTrue(EndpointPaths.compile("/Users/{id}", true, true, true).matcher("/USERS/42").find());
        assertFalse(EndpointPaths.compile("/Users/{id}", false, true, true).matcher("/USERS/42").find());
    }

    @Test
    void unusableRegularExpressionThrowsAtCompile() {
        assertThrows(PatternSyntaxException.class, () -> EndpointPaths.compile("/users/(", false, false, false));
    }
}
