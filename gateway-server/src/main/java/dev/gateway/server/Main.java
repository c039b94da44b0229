package dev.gateway.server;

import dev.gateway.core.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar gateway.jar --conf PATH}. Exits 2 when the configuration cannot be used, 0 after a graceful
 * stop on SIGTERM or SIGINT.
 */
public final class Main {

    private static final Logger log = LoggerFactory.getLogger(Main.class);

    /** How long in-flight requests may take to finish after SIGTERM, unless {@code --grace-seconds} says. */
    static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);

    /**
     * How long the listeners keep accepting after SIGTERM, {@code /ready} answering 503 meanwhile, unless
     * {@code --drain-delay-seconds} says: none, since only a gateway behind a load balancer or an orchestrator needs
     * it, and there it must match the balancer's checks (their interval × the failures that take a server out).
     */
    static final Duration DEFAULT_DRAIN_DELAY = Duration.ZERO;

    /**
     * Said once at start-up when SIGHUP arrives ignored, as {@code nohup} leaves it: the JVM cannot take it back,
     * so without this line {@code kill -HUP} would do nothing at all, silently.
     */
    static final String SIGHUP_IGNORED = "SIGHUP is ignored by the parent process (nohup?), so kill -HUP cannot"
            + " reload this gateway; restart it to apply changes, and start it with setsid instead of nohup"
            + " (setsid java -jar gateway.jar ... &), or through env --default-signal=HUP";

    /** As {@link #SIGHUP_IGNORED}, for a stop. */
    static final String SIGTERM_IGNORED = "SIGTERM is ignored by the parent process, so kill -TERM cannot stop this"
            + " gateway; stop it with SIGINT (kill -INT), or start it without ignoring SIGTERM";

    private Main() {
    }

    /**
     * Netty's leak detector costs a few percent of CPU in production (sampled stack traces, a touch per message).
     * The test suite runs with paranoid detection and fails on any leak; a user chasing one turns it back on with
     * {@code -Dio.netty.leakDetection.level=simple}.
     */
    static final String LEAK_DETECTION_PROPERTY = "io.netty.leakDetection.level";

    public static void main(String[] args) {
        if (System.getProperty(LEAK_DETECTION_PROPERTY) == null) {
            System.setProperty(LEAK_DETECTION_PROPERTY, "disabled");
        }
        Options options = Options.parse(args);
        if (options == null) {
            return;
        }
        Path conf = options.conf();
        if (!Files.isRegularFile(conf)) {
            exit("configuration file " + conf.toAbsolutePath() + " does not exist");
        }
        // Handlers go in before the start: the port accepts connections before start() returns, and a signal sent
        // as soon as it does would otherwise meet the JVM's default handling, which exits at once with 128 + the
        // signal number (a SIGHUP then kills the gateway instead of reloading it). A SIGHUP during the start is
        // applied right after it, since the files may have changed after they were read.
        AtomicReference<Gateway> running = new AtomicReference<>();
        AtomicBoolean reloadPending = new AtomicBoolean();
        CountDownLatch stopRequested = new CountDownLatch(1);
        Signals.Outcome hup = Signals.on("HUP", () -> {
            reloadPending.set(true);
            Gateway started = running.get();
            if (started != null && reloadPending.getAndSet(false)) {
                started.reload();
            }
        });
        if (hup == Signals.Outcome.IGNORED_BY_PARENT) {
            log.warn(SIGHUP_IGNORED);
        }
        if (Signals.on("TERM", stopRequested::countDown) == Signals.Outcome.IGNORED_BY_PARENT) {
            log.warn(SIGTERM_IGNORED);
        }
        // An ignored SIGINT is not worth a warning: a shell script's background jobs start that way by design.
        Signals.on("INT", stopRequested::countDown);
        Gateway gateway;
        try {
            gateway = Gateway.start(conf, options.port());
        } catch (ConfigException e) {
            exit("cannot start: " + e.getMessage());
            return;
        } catch (Exception e) {
            log.error("cannot start", e);
            exit("cannot start: " + e.getMessage());
            return;
        }
        running.set(gateway);
        if (reloadPending.getAndSet(false)) {
            gateway.reload();
        }
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        gateway.stop(options.drainDelay(), options.grace());
        System.exit(0);
    }

    /**
     * The command line: the conf file, the port override (-1: none), the time the listeners keep accepting after
     * SIGTERM and the drain time after that.
     */
    private record Options(Path conf, int port, Duration drainDelay, Duration grace) {

        /** The options given, or {@code null} after printing the usage for {@code --help}; exits on a bad one. */
        static Options parse(String[] args) {
            Path conf = Path.of("tyk.conf");
            Duration grace = DEFAULT_GRACE;
            Duration drainDelay = DEFAULT_DRAIN_DELAY;
            int port = -1;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--conf", "-c" -> conf = Path.of(requireValue(args, ++i, "--conf"));
                    case "--port", "-p" -> port = (int) requireNumber(args, ++i, "--port", 0, 65535);
                    case "--grace-seconds" -> grace = Duration.ofSeconds(requireNumber(args, ++i, "--grace-seconds",
                            0, Long.MAX_VALUE / 1000));
                    case "--drain-delay-seconds" -> drainDelay = Duration.ofSeconds(requireNumber(args, ++i,
                            "--drain-delay-seconds", 0, Long.MAX_VALUE / 1000));
                    case "--help", "-h" -> {
                        System.out.println("usage: java -jar gateway.jar --conf PATH [--port N]"
                                + " [--drain-delay-seconds N] [--grace-seconds N]\n"
                                + "  --port N                 listen on N instead of tyk.conf's listen_port (0: any"
                                + " free port)\n"
                                + "  --drain-delay-seconds N  after SIGTERM, keep accepting for N seconds while"
                                + " /ready answers 503\n"
                                + "                           and connections are asked to go, so that a load"
                                + " balancer takes this\n"
                                + "                           gateway out first (default 0)\n"
                                + "  --grace-seconds N        then, time in-flight requests get to finish"
                                + " (default 10)");
                        return null;
                    }
                    default -> exit("unknown argument '" + args[i] + "' (try --help)");
                }
            }
            return new Options(conf, port, drainDelay, grace);
        }
    }

    private static String requireValue(String[] args, int index, String flag) {
        if (index >= args.length) {
            exit(flag + " needs a value");
        }
        return args[index];
    }

    /** A number flag's value; a usage error (exit 2 with a message) rather than a stack trace when it is not one. */
    private static long requireNumber(String[] args, int index, String flag, long min, long max) {
        String value = requireValue(args, index, flag);
        try {
            long number = Long.parseLong(value);
            if (number >= min && number <= max) {
                return number;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        exit(flag + " needs a number from " + min + " to " + max + ", not '" + value + "'");
        return -1;
    }

    private static void exit(String message) {
        System.err.println("gateway: " + message);
        log.error(message);
        System.exit(2);
    }
}
