package dev.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeaderTokensTest {

    @Test
    void tokensOfEveryFieldInOrderTrimmedWithoutEmptyElements() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add(HttpHeaderNames.CONNECTION, "keep-alive, Upgrade")
                .add(HttpHeaderNames.CONNECTION, ",x-custom ,, ,")
                .add(HttpHeaderNames.CONNECTION, "te");

        assertEquals(List.of("keep-alive", "Upgrade", "x-custom", "te"),
                HeaderTokens.of(headers, HttpHeaderNames.CONNECTION));
    }

    @Test
    void noFieldsNoTokens() {
        assertEquals(List.of(), HeaderTokens.of(new DefaultHttpHeaders(), HttpHeaderNames.UPGRADE));
        assertEquals(List.of(), HeaderTokens.of(new DefaultHttpHeaders().add(HttpHeaderNames.UPGRADE, ", ,"),
                HttpHeaderNames.UPGRADE));
    }

    @Test
    void containsComparesWithoutCaseAndOnlyWholeTokens() {
        HttpHeaders headers = new DefaultHttpHeaders().add(HttpHeaderNames.CONNECTION, "keep-alive, UPGRADE");

        assertTrue(HeaderTokens.contains(headers, HttpHeaderNames.CONNECTION, "upgrade"));
        assertFalse(HeaderTokens.contains(headers, HttpHeaderNames.CONNECTION, "alive"));
        assertFalse(HeaderTokens.contains(headers, HttpHeaderNames.UPGRADE, "upgrade"));
    }
}
