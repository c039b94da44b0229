package dev.gateway.server;

import dev.gateway.core.snapshot.GatewaySnapshot;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * How long a reload's two phases took, for its log line: reading and parsing the files, then compiling what changed
 * and applying the snapshot. Each in wall time and in the reloading thread's CPU time, which on a busy machine says
 * what the work cost where the wall time says mostly how long the thread waited for a core (or for the collector).
 */
final class ReloadClock {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final long started = System.nanoTime();
    private final long startedCpu = cpu();
    private long read;
    private long readCpu;

    /** The files are read: compiling starts. */
    void read() {
        read = System.nanoTime();
        readCpu = cpu();
    }

    /**
     * The snapshot is in service: {@code in T ms (read R ms, CPU r ms; compiled N, kept K: C ms, CPU c ms)}, CPU
     * times {@code -1} where the JVM cannot measure them.
     */
    String applied(GatewaySnapshot snapshot) {
        long now = System.nanoTime();
        long nowCpu = cpu();
        int kept = snapshot.keptCount();
        return "in " + millis(now - started) + " ms (read " + millis(read - started) + " ms, CPU "
                + cpuMillis(startedCpu, readCpu) + " ms; compiled " + (snapshot.apis().size() - kept) + ", kept "
                + kept + ": " + millis(now - read) + " ms, CPU " + cpuMillis(readCpu, nowCpu) + " ms)";
    }

    private static long cpu() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
    }

    private static String cpuMillis(long from, long to) {
        return from < 0 || to < 0 ? "-1" : millis(to - from);
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.2f", nanos / 1e6);
    }
}
