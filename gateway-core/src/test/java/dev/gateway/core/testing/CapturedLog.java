package dev.gateway.core.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;

/**
 * The log lines of the code under test, caught from the logback root logger while a test runs. Lines read
 * {@code LEVEL logger - message}, like the shipped pattern without the time and thread. Close it (a {@link Closer}
 * does) to detach it.
 */
public final class CapturedLog extends AppenderBase<ILoggingEvent> implements AutoCloseable {

    private final Queue<String> lines = new ConcurrentLinkedQueue<>();
    private final AtomicLong chars = new AtomicLong();

    private CapturedLog() {
    }

    public static CapturedLog attach() {
        CapturedLog log = new CapturedLog();
        log.setContext(root().getLoggerContext());
        log.setName("captured-" + System.identityHashCode(log));
        log.start();
        root().addAppender(log);
        return log;
    }

    @Override
    protected void append(ILoggingEvent event) {
        String line = event.getLevel() + " " + event.getLoggerName() + " - " + event.getFormattedMessage();
        lines.add(line);
        IThrowableProxy thrown = event.getThrowableProxy();
        chars.addAndGet(line.length() + 1 + (thrown == null ? 0 : ThrowableProxyUtil.asString(thrown).length()));
        synchronized (this) {
            notifyAll();
        }
    }

    /** Waits up to ten seconds for a line at {@code level} that contains every fragment; fails without one. */
    public String awaitLogged(Level level, String... fragments) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        synchronized (this) {
            List<String> found;
            while ((found = find(level, fragments)).isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return assertLogged(level, fragments);
                }
                wait(Math.max(1, left / 1_000_000));
            }
            return found.get(0);
        }
    }

    /**
     * How much was logged, stack traces included: about the bytes the shipped pattern would write, less the time
     * and the thread.
     */
    public long chars() {
        return chars.get();
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** The lines at {@code level} that contain every fragment. */
    public List<String> find(Level level, String... fragments) {
        return lines.stream()
                .filter(line -> line.startsWith(level.toString() + " "))
                .filter(line -> Arrays.stream(fragments).allMatch(line::contains))
                .toList();
    }

    /** Fails unless some line at {@code level} contains every fragment. */
    public String assertLogged(Level level, String... fragments) {
        List<String> found = find(level, fragments);
        if (found.isEmpty()) {
            throw new AssertionError("no " + level + " line containing " + Arrays.toString(fragments)
                    + "; the log was:\n" + String.join("\n", lines));
        }
        return found.get(0);
    }

    @Override
    public void close() {
        root().detachAppender(this);
        stop();
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
