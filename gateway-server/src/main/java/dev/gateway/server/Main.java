package dev.gateway.server;

import dev.gateway.core.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
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

    private Main() {
    }

    public static void main(String[] args) {
        Path conf = Path.of("tyk.conf");
        Duration grace = DEFAULT_GRACE;
        int port = -1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--conf", "-c" -> conf = Path.of(requireValue(args, ++i, "--conf"));
                case "--port", "-p" -> port = Integer.parseInt(requireValue(args, ++i, "--port"));
                case "--grace-seconds" -> grace = Duration.ofSeconds(Long.parseLong(requireValue(args, ++i,
                        "--grace-seconds")));
                case "--help", "-h" -> {
                    System.out.println("usage: java -jar gateway.jar --conf PATH [--port N] [--grace-seconds N]\n"
                            + "  --port N           listen on N instead of tyk.conf's listen_port (0: any free port)\n"
                            + "  --grace-seconds N  time in-flight requests get to finish after SIGTERM (default 10)");
                    return;
                }
                default -> exit("unknown argument '" + args[i] + "' (try --help)");
            }
        }
        if (!Files.isRegularFile(conf)) {
            exit("configuration file " + conf.toAbsolutePath() + " does not exist");
        }
        Gateway gateway;
        try {
            gateway = Gateway.start(conf, port);
        } catch (ConfigException e) {
            exit("cannot start: " + e.getMessage());
            return;
        } catch (Exception e) {
            log.error("cannot start", e);
            exit("cannot start: " + e.getMessage());
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Duration drainFor = grace;
        Runnable stop = () -> {
            gateway.stop(drainFor);
            stopped.countDown();
        };
        Signals.on("HUP", gateway::reload);
        Signals.on("TERM", () -> new Thread(stop, "gateway-stop").start());
        Signals.on("INT", () -> new Thread(stop, "gateway-stop").start());
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.exit(0);
    }

    private static String requireValue(String[] args, int index, String flag) {
        if (index >= args.length) {
            exit(flag + " needs a value");
        }
        return args[index];
    }

    private static void exit(String message) {
        System.err.println("gateway: " + message);
        log.error(message);
        System.exit(2);
    }
}
