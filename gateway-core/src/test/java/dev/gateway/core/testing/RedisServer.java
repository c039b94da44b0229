package dev.gateway.core.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} process on a free port, without persistence; {@code bin/test} installs it. It can be
 * killed and started again on the same port (a Redis outage), and run as a sentinel.
 */
public final class RedisServer implements AutoCloseable {

    private final List<String> command;
    private final Path log;
    private final int port;
    private volatile Process process;

    private RedisServer(List<String> command, Path log, int port) {
        this.command = List.copyOf(command);
        this.log = log;
        this.port = port;
    }

    /** Starts one and waits until it accepts connections; {@code extraArgs} are more {@code --option value}s. */
    public static RedisServer start(Path dir, String... extraArgs) throws IOException, InterruptedException {
        return startOn(dir, Ports.freePort(), extraArgs);
    }

    /** As {@link #start}, on {@code port}. */
    public static RedisServer startOn(Path dir, int port, String... extraArgs) throws IOException,
            InterruptedException {
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()));
        command.addAll(List.of(extraArgs));
        return launch(new RedisServer(command, dir.resolve("redis-" + port + ".log"), port));
    }

    /**
     * A sentinel on a free port ({@code redis-server <file> --sentinel}), configured by {@code configLines} (such as
     * {@code sentinel monitor mymaster 127.0.0.1 6379 1}); the file is written into {@code dir}, where the sentinel
     * rewrites it as it learns.
     */
    public static RedisServer sentinel(Path dir, String... configLines) throws IOException, InterruptedException {
        int port = Ports.freePort();
        Path conf = dir.resolve("sentinel-" + port + ".conf");
        List<String> lines = new ArrayList<>(List.of("port " + port, "bind 127.0.0.1", "dir " + dir));
        lines.addAll(List.of(configLines));
        Files.write(conf, lines);
        return launch(new RedisServer(List.of("redis-server", conf.toString(), "--sentinel"),
                dir.resolve("sentinel-" + port + ".log"), port));
    }

    private static RedisServer launch(RedisServer server) throws IOException, InterruptedException {
        try {
            server.startProcess();
        } catch (AssertionError | InterruptedException | IOException e) {
            server.close();
            throw e;
        }
        return server;
    }

    public int port() {
        return port;
    }

    /** Kills the server at once (SIGKILL), as a crash would, and waits until it is gone. */
    public void kill() throws InterruptedException {
        Process running = process;
        if (running != null) {
            running.destroyForcibly();
            running.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Starts the killed server again on the same port, with the same options, and waits until it listens. */
    public void restart() throws IOException, InterruptedException {
        kill();
        startProcess();
    }

    private void startProcess() throws IOException, InterruptedException {
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new AssertionError("redis-server is not installed (bin/test installs it): " + e.getMessage(), e);
        }
        awaitListening(port, process);
    }

    /** Waits until a started server accepts connections, failing if it exits first. */
    private static void awaitListening(int port, Process process) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket probe = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                assertTrue(process.isAlive(), "the server exited before it listened");
                assertTrue(System.nanoTime() < deadline, "the server did not listen on " + port + " in 10 s");
                Thread.sleep(20); // polling a starting process: there is nothing to wait on
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        Process running = process;
        if (running != null) {
            running.destroy();
            if (!running.waitFor(5, TimeUnit.SECONDS)) {
                running.destroyForcibly();
                running.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
