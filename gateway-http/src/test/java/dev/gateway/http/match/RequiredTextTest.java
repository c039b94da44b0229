package dev.gateway.http.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The text an expression cannot match without, or none when that is not certain. */
class RequiredTextTest {

    @Test
    void takesTheLongestRunOutsideGroupsAndQuantifiers() {
        assertEquals("/internal/", RequiredText.of("/internal/([^/]+)"));
        assertEquals("/users", RequiredText.of("/v[0-9]+/users"));
        assertEquals("/reports/", RequiredText.of("/reports/(\\d{4})/x"));
        assertEquals("/ab", RequiredText.of("/abc?d"), "c is optional");
        assertEquals("/ab", RequiredText.of("/abx*/"));
        assertEquals("/ab", RequiredText.of("/abc{0,2}d"), "c may be absent");
        assertEquals("/a", RequiredText.of("/a(bcdef)?g"));
    }

    @Test
    void noneWhenItIsNotCertain() {
        assertNull(RequiredText.of("/(foo|bar)"), "alternation");
        assertNull(RequiredText.of("(?i)/admin"), "an inline flag changes the text's case");
        assertNull(RequiredText.of("/.*"), "too short");
        assertNull(RequiredText.of("([^/]+)"));
    }
}
