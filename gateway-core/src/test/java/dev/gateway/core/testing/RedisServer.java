package dev.gateway.core.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real {@code redis-server} process on a free port, without persistence; {@code bin/test} installs it. */
public final class RedisServer implements AutoCloseable {

    private final Process process;
    private final int port;

    private RedisServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts one and waits until it accepts connections; {@code extraArgs} are more {@code --option value}s. */
    public static RedisServer start(Path dir, String... extraArgs) throws IOException, InterruptedException {
        int port = Ports.freePort();
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no"));
        command.addAll(List.of(extraArgs));
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("redis-" + port + ".log").toFile())
                    .start();
        } catch (IOException e) {
            throw new AssertionError("redis-server is not installed (bin/test installs it): " + e.getMessage(), e);
        }
        RedisServer server = new RedisServer(process, port);
        try {
            awaitListening(port, process);
        } catch (AssertionError | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    public int port() {
        return port;
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
        process.destroy();
        process.waitFor(5, TimeUnit.SECONDS);
    }
}
