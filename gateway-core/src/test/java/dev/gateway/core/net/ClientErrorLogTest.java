package dev.gateway.core.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ClientErrorLogTest {

    private static final long WINDOW = TimeUnit.SECONDS.toNanos(ClientErrorLog.WINDOW_SECONDS);

    @Test
    void writesTheFirstLinesOfAWindowAndCountsTheRestIntoTheNextLine() {
        String kind = "client={} flood of one kind";
        long start = 1_000;
        for (int i = 0; i < ClientErrorLog.LINES_PER_WINDOW; i++) {
            assertEquals(0, ClientErrorLog.admit(kind, 1, start + i), "line " + i);
        }
        for (int i = 0; i < 5; i++) {
            assertEquals(-1, ClientErrorLog.admit(kind, 1, start + WINDOW - 1), "left out " + i);
        }

        assertEquals(5, ClientErrorLog.admit(kind, 1, start + WINDOW), "the next window's first line counts them");
        assertEquals(0, ClientErrorLog.admit(kind, 1, start + WINDOW + 1));
    }

    @Test
    void kindsAndPortsHaveWindowsOfTheirOwn() {
        String flooded = "client={} flooded kind";
        for (int i = 0; i <= ClientErrorLog.LINES_PER_WINDOW; i++) {
            ClientErrorLog.admit(flooded, 2, i);
        }
        assertEquals(-1, ClientErrorLog.admit(flooded, 2, 100));

        assertEquals(0, ClientErrorLog.admit(flooded, 3, 100), "another port");
        assertEquals(0, ClientErrorLog.admit("client={} another kind", 2, 100), "another kind");
    }

    @Test
    void theCountOfLeftOutLinesGoesBeforeATrailingStackTrace() {
        IllegalStateException cause = new IllegalStateException("bug");

        assertArrayEquals(new Object[] {"a", "b", 5L, cause},
                ClientErrorLog.withCount(new Object[] {"a", "b", cause}, 5));
        assertArrayEquals(new Object[] {"a", 7L}, ClientErrorLog.withCount(new Object[] {"a"}, 7));
    }
}
