package dev.gateway.core.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.exchange.ExchangeRecord.Kind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The open event beside the end: how {@link ExchangeListener#both} passes it on, and what {@link OpenStreams}
 * counts from the two.
 */
class OpenStreamsTest {

    private static ExchangeRecord end(Kind kind, String api) {
        return new ExchangeRecord(kind, "c0ffee01", null, api, "", "", "", 0, -1, "", 0, 0, 1_000, "");
    }

    @Test
    void onlyWebSocketsEventStreamsAndTcpRelaysAreStreams() {
        assertTrue(Kind.WEBSOCKET.isStream() && Kind.EVENT_STREAM.isStream() && Kind.TCP.isStream());
        assertFalse(Kind.PROXIED.isStream() || Kind.LOCAL.isStream());
        assertTrue(Kind.EVENT_STREAM.isHttp(), "an event stream is a request, logged as one");
    }

    @Test
    void bothTellsEachListenerOfOpensAsOfEndsInOrder() {
        List<String> heard = new ArrayList<>();
        ExchangeListener first = new ExchangeListener() {
            @Override
            public void onEnd(ExchangeRecord record) {
                heard.add("first end " + record.kind());
            }

            @Override
            public void onOpen(Kind kind, String apiId) {
                heard.add("first open " + kind + " " + apiId);
            }
        };
        ExchangeListener second = record -> heard.add("second end " + record.kind());
        ExchangeListener both = ExchangeListener.both(first, second);

        both.onOpen(Kind.TCP, "echo");
        both.onEnd(end(Kind.TCP, "echo"));

        assertEquals(List.of("first open TCP echo", "first end TCP", "second end TCP"), heard);
        assertSame(first, ExchangeListener.both(first, ExchangeListener.NONE));
        assertSame(second, ExchangeListener.both(ExchangeListener.NONE, second));
    }

    @Test
    void countsOpensLessEndsPerApiAndKindAndKeepsZeros() {
        OpenStreams open = new OpenStreams();
        open.onOpen(Kind.WEBSOCKET, "chat");
        open.onOpen(Kind.WEBSOCKET, "chat");
        open.onOpen(Kind.EVENT_STREAM, "news");
        open.onOpen(Kind.TCP, "echo");
        open.onEnd(end(Kind.WEBSOCKET, "chat"));
        open.onEnd(end(Kind.TCP, "echo"));

        assertEquals(List.of(new OpenStreams.Count("chat", Kind.WEBSOCKET, 1),
                new OpenStreams.Count("echo", Kind.TCP, 0),
                new OpenStreams.Count("news", Kind.EVENT_STREAM, 1)), open.now());
        assertEquals(1, open.total(Kind.WEBSOCKET));
        assertEquals(0, open.total(Kind.TCP));
    }

    @Test
    void ordinaryRequestsCountForNothing() {
        OpenStreams open = new OpenStreams();
        open.onEnd(end(Kind.PROXIED, "api"));
        open.onEnd(end(Kind.LOCAL, ""));
        open.onOpen(Kind.PROXIED, "api");

        assertEquals(List.of(), open.now());
        assertEquals(0, open.total(Kind.PROXIED));
    }
}
