package dev.gateway.core.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when Netty reports a {@code ByteBuf} leak while it runs (design rule: every buffer is released
 * exactly once, on every path). Registered for every test through the service loader file in
 * {@code META-INF/services}, which ships in gateway-core's test-jar; the build enables extension auto-detection
 * and runs tests with {@code -Dio.netty.leakDetection.level=paranoid}, so every buffer is tracked.
 *
 * <p>Netty only notices a leak when the leaked buffer has been garbage collected and a later allocation polls
 * the detector's reference queue. So after each test we collect garbage and allocate a few buffers; the
 * detector then calls our listener for every leak it finds. A leak found after a test may have been made by an
 * earlier one in the same JVM when the collector was slow; the records name the allocation site either way.
 * Netty only reports while the {@code io.netty.util.ResourceLeakDetector} logger has ERROR enabled, so test
 * logging configurations must not silence it.
 *
 * <p>Fuzz tests ({@code @FuzzTest}) are checked once, after their class, not after each input: a fuzz test runs
 * thousands of inputs, and the collections take a good part of a second each time. Such a test checks every input
 * itself where it can ({@link CountingAllocator}); this check still catches what leaked elsewhere, naming the
 * allocation site though not the input.
 */
public final class LeakWatch implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    /** Jazzer's annotation, named rather than imported: modules without fuzz tests do not have Jazzer. */
    private static final String FUZZ_TEST = "com.code_intelligence.jazzer.junit.FuzzTest";

    /** Collections per check: one is not always enough for the collector to clear and enqueue weak references. */
    private static final int GC_ROUNDS = 3;

    /**
     * Allocations per kind per round; with paranoid detection each tracked one polls the reference queue (unpooled
     * heap buffers are not tracked, the others are).
     */
    private static final int PROBE_BUFFERS = 4;

    private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();
    private static final AtomicBoolean REGISTERED = new AtomicBoolean();

    /** Installs the leak listener; safe to call more than once. */
    public static void install() {
        if (INSTALLED.compareAndSet(false, true)) {
            ByteBufUtil.setLeakListener((resourceType, records) ->
                    LEAKS.add("LEAK: " + resourceType + ".release() was not called" + records));
        }
    }

    /**
     * Collects garbage, makes the detector poll, and returns every leak reported since the last call, clearing
     * them. This is the check {@link #afterEach} runs.
     */
    public static List<String> collectLeaks() {
        install();
        for (int round = 0; round < GC_ROUNDS; round++) {
            System.gc();
            System.runFinalization();
            probe(PooledByteBufAllocator.DEFAULT);
            probe(UnpooledByteBufAllocator.DEFAULT);
        }
        List<String> leaks = new ArrayList<>();
        for (String leak = LEAKS.poll(); leak != null; leak = LEAKS.poll()) {
            leaks.add(leak);
        }
        return leaks;
    }

    private static void probe(ByteBufAllocator allocator) {
        for (int i = 0; i < PROBE_BUFFERS; i++) {
            ByteBuf heap = allocator.heapBuffer(1);
            heap.release();
            ByteBuf direct = allocator.directBuffer(1);
            direct.release();
        }
    }

    /**
     * True once JUnit has run this extension for some test class in this JVM. A build that forgets to enable
     * extension auto-detection runs every test unwatched; a test can use this to notice.
     */
    public static boolean registered() {
        return REGISTERED.get();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        REGISTERED.set(true);
        install();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (context.getTestMethod().filter(LeakWatch::isFuzzTest).isEmpty()) {
            check(context);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        boolean fuzzed = context.getTestClass().stream()
                .flatMap(type -> Arrays.stream(type.getDeclaredMethods()))
                .anyMatch(LeakWatch::isFuzzTest);
        if (fuzzed) {
            check(context);
        }
    }

    private static boolean isFuzzTest(Method method) {
        return Arrays.stream(method.getAnnotations())
                .anyMatch(annotation -> annotation.annotationType().getName().equals(FUZZ_TEST));
    }

    private static void check(ExtensionContext context) {
        List<String> leaks = collectLeaks();
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty reported " + leaks.size() + " ByteBuf leak(s) during or before "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
        }
    }
}
