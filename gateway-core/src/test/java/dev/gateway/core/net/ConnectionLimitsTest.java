package dev.gateway.core.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import dev.gateway.core.testing.CapturedLog;
import dev.gateway.core.transport.Transport;
import org.junit.jupiter.api.Test;

/** The global cap the open-files limit allows: half of what the reserve leaves, and never more than that. */
class ConnectionLimitsTest {

    private static final int RESERVE = ConnectionLimits.RESERVED_DESCRIPTORS + Transport.ACCEPT_BACKLOG;

    @Test
    void theDefaultCapIsHalfOfTheDescriptorsLeftAfterTheReserve() {
        assertEquals((20_000 - RESERVE) / 2, ConnectionLimits.of(0, 0, 20_000, 0).max());
        assertEquals(1, ConnectionLimits.of(0, 0, 64, 0).max(), "a limit below the reserve still serves one");
    }

    @Test
    void descriptorsOpenAtStartAreKeptToo() {
        assertEquals((20_000 - 300 - RESERVE) / 2,
                ConnectionLimits.of(0, 0, 20_000, 300).max());
    }

    @Test
    void aConfiguredCapWithinTheLimitIsKept() {
        ConnectionLimits limits = ConnectionLimits.of(5_000, 100, 20_000, 0);
        assertEquals(5_000, limits.max());
        assertEquals(100, limits.perListener());
    }

    @Test
    void aConfiguredCapBeyondTheLimitIsLoweredWithAWarning() throws Exception {
        try (CapturedLog log = CapturedLog.attach()) {
            assertEquals(4096 - RESERVE, ConnectionLimits.of(50_000, 0, 4096, 0).max());
            log.awaitLogged(Level.WARN, "max_connections 50000", "ulimit -n");
        }
    }

    @Test
    void withoutAKnownLimitTheConfiguredCapOrNoneApplies() {
        assertEquals(300, ConnectionLimits.of(300, 0, -1, 0).max());
        assertEquals(Integer.MAX_VALUE, ConnectionLimits.of(0, 0, -1, 0).max());
    }
}
