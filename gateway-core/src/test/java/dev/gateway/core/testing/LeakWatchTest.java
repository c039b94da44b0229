package dev.gateway.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class LeakWatchTest {

    /** Collections to wait for the dropped buffer to be reclaimed; one or two suffice in practice. */
    private static final int MAX_ATTEMPTS = 20;

    /**
     * LeakWatch only guards tests when JUnit finds it through {@code META-INF/services}, which needs the
     * configuration parameter {@code junit.jupiter.extensions.autodetection.enabled=true}.
     */
    @Test
    void extensionIsRegisteredByAutoDetection() {
        assertTrue(LeakWatch.registered(), "LeakWatch did not run: enable junit.jupiter.extensions.autodetection"
                + " (surefire: <properties><configurationParameters>...</configurationParameters></properties>)");
    }

    @Test
    void reportsBufferDroppedWithoutRelease() {
        ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
        // Paranoid tracks every buffer; the build sets it, this keeps the test honest when run from an IDE.
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        try {
            assertEquals(List.of(), LeakWatch.collectLeaks(), "a leak was pending before this test");
            // The detector reports records it has not reported before; a unique hint keeps a rerun reportable.
            String hint = "leak-watch-self-test-" + UUID.randomUUID();
            leakOneBuffer(hint);

            List<String> leaks = waitForLeaks();

            assertEquals(1, leaks.size(), () -> "expected exactly the dropped buffer, got " + leaks);
            assertTrue(leaks.get(0).contains(hint), leaks.get(0));
            assertTrue(leaks.get(0).contains("leakOneBuffer"), "records should name the allocation site");
        } finally {
            ResourceLeakDetector.setLevel(before);
            // Whatever is still pending must not fail this test in LeakWatch's own afterEach.
            LeakWatch.collectLeaks();
        }
    }

    @Test
    void releasedBuffersReportNothing() {
        ByteBuf buf = UnpooledByteBufAllocator.DEFAULT.directBuffer(64);
        buf.writeLong(42);
        assertTrue(buf.release());

        assertEquals(List.of(), LeakWatch.collectLeaks());
    }

    private static List<String> waitForLeaks() {
        List<String> leaks = List.of();
        for (int attempt = 0; attempt < MAX_ATTEMPTS && leaks.isEmpty(); attempt++) {
            leaks = LeakWatch.collectLeaks();
        }
        return leaks;
    }

    /**
     * In its own frame, so no local variable keeps the buffer reachable. Direct, because Netty does not track
     * unpooled heap buffers: the collector reclaims them whole.
     */
    private static void leakOneBuffer(String hint) {
        ByteBuf buf = UnpooledByteBufAllocator.DEFAULT.directBuffer(16);
        buf.writeInt(1);
        buf.touch(hint);
    }
}
