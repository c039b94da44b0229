package dev.gateway.server;

import dev.gateway.core.testing.Ports;
import dev.gateway.http.support.Clients;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gateway as users run it: {@code dev.gateway.server.Main} in its own JVM, on the test's class path, with
 * stdout and stderr in files. This is how exit codes, signals and the shipped logging configuration are tested.
 */
final class GatewayProcess implements AutoCloseable {

    /** How long a JVM may take to start and answer {@code /hello}; generous for loaded CI machines. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    /** How long a gateway that refuses its configuration may take to exit. */
    static final Duration EXIT_TIMEOUT = Duration.ofSeconds(20);

    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final String command;
    /** The gateway port passed with {@code --port}, or -1. */
    final int port;

    private GatewayProcess(Process process, Path stdout, Path stderr, String command, int port) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.command = command;
        this.port = port;
    }

    /**
     * Starts {@code Main} with {@code args}; output goes to {@code <logDir>/<name>.out} and {@code .err}.
     *
     * @param port the value of {@code --port} found in {@code args}, or -1, for {@link #awaitReady()}
     */
    static GatewayProcess launch(Path logDir, String name, String... args) throws IOException {
        return launch(List.of(), List.of(), logDir, name, args);
    }

    /** As {@link #launch(Path, String, String...)}, with JVM options (system properties) for the gateway's JVM. */
    static GatewayProcess launchWithJvmOptions(List<String> jvmOptions, Path logDir, String name, String... args)
            throws IOException {
        return launch(List.of(), jvmOptions, logDir, name, args);
    }

    /**
     * As {@link #launch(Path, String, String...)}, with {@code signal} ({@code HUP}, {@code TERM}) ignored when the
     * JVM starts, as {@code nohup} leaves SIGHUP: a shell ignores it and then becomes the JVM ({@code exec}), so the
     * disposition is inherited as it is.
     */
    static GatewayProcess launchIgnoring(String signal, Path logDir, String name, String... args) throws IOException {
        return launch(List.of("/bin/sh", "-c", "trap '' " + signal + "; exec \"$@\"", "sh"), List.of(), logDir, name,
                args);
    }

    /**
     * Starts {@code java -jar jar} with {@code args}: the runnable jar as users start it, with nothing of the test's
     * class path, so a library missing from the jar shows.
     */
    static GatewayProcess launchJar(Path jar, Path logDir, String name, String... args) throws IOException {
        List<String> command = new ArrayList<>(jvm());
        command.addAll(List.of("-jar", jar.toString()));
        return start(command, logDir, name, args);
    }

    /**
     * As {@link #launch(Path, String, String...)}, with {@code javaOptions} in place of the small, quick JVM's
     * options (the systemd unit's own, say), paranoid leak detection added.
     */
    static GatewayProcess launchWithJavaOptionsOnly(List<String> javaOptions, Path logDir, String name,
            String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(javaOptions);
        command.add("-Dio.netty.leakDetection.level=paranoid");
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.gateway.server.Main"));
        return start(command, logDir, name, args);
    }

    private static GatewayProcess launch(List<String> wrapper, List<String> jvmOptions, Path logDir, String name,
            String... args) throws IOException {
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(jvm());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.gateway.server.Main"));
        return start(command, logDir, name, args);
    }

    private static List<String> jvm() {
        return List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // A small, quick JVM: these processes live for seconds.
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                // As in the test JVM: Netty logs a leak as an ERROR "LEAK:" line, which tests check for.
                "-Dio.netty.leakDetection.level=paranoid");
    }

    /**
     * Runs {@code jvmCommand} followed by the gateway's {@code args}, with SIGHUP, SIGINT and SIGTERM at their default
     * dispositions whatever this JVM inherited: a test run started under {@code nohup}, or as a background job of a
     * script (which ignores SIGINT), must not make the signal tests fail. A wrapper in {@code jvmCommand} may then
     * ignore one on purpose ({@link #launchIgnoring}).
     */
    private static GatewayProcess start(List<String> jvmCommand, Path logDir, String name, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(List.of("env", "--default-signal=HUP,INT,TERM"));
        command.addAll(jvmCommand);
        command.addAll(Arrays.asList(args));
        Path out = logDir.resolve(name + ".out");
        Path err = logDir.resolve(name + ".err");
        Process process = new ProcessBuilder(command)
                .directory(logDir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        int port = -1;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--port") && args[i + 1].matches("\\d+")) {
                port = Integer.parseInt(args[i + 1]);
            }
        }
        return new GatewayProcess(process, out, err, String.join(" ", args), port);
    }

    /**
     * Starts the gateway on {@code conf} and a free port with an open-files limit of {@code openFiles} (a shell
     * lowers it, then becomes the JVM), and waits until it answers {@code /hello}.
     */
    static GatewayProcess startServingWithOpenFiles(int openFiles, Path logDir, String name, Path conf)
            throws IOException, InterruptedException {
        GatewayProcess gateway = launch(List.of("/bin/sh", "-c", "ulimit -n " + openFiles + " && exec \"$@\"", "sh"),
                List.of(), logDir, name, "--conf", conf.toString(), "--port", String.valueOf(Ports.freePort()));
        return ready(gateway);
    }

    /** Starts the gateway on {@code conf} and a free port, and waits until it answers {@code /hello}. */
    static GatewayProcess startServing(Path logDir, String name, Path conf, String... extraArgs)
            throws IOException, InterruptedException {
        return startServing(List.of(), logDir, name, conf, extraArgs);
    }

    /** As {@link #startServing(Path, String, Path, String...)}, with JVM options for the gateway's JVM. */
    static GatewayProcess startServing(List<String> jvmOptions, Path logDir, String name, Path conf,
            String... extraArgs) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--conf", conf.toString(), "--port",
                String.valueOf(Ports.freePort())));
        args.addAll(Arrays.asList(extraArgs));
        GatewayProcess gateway = launch(List.of(), jvmOptions, logDir, name, args.toArray(String[]::new));
        return ready(gateway);
    }

    /** Waits until {@code gateway} answers {@code /hello}; closes it when it never does. */
    private static GatewayProcess ready(GatewayProcess gateway) throws InterruptedException {
        try {
            gateway.awaitReady();
        } catch (Throwable e) {
            gateway.close();
            throw e;
        }
        return gateway;
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    String stdout() {
        return Net.read(stdout);
    }

    String stderr() {
        return Net.read(stderr);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** Polls {@code GET /hello} until it answers 200; fails at once, with the output, if the process dies. */
    void awaitReady() throws InterruptedException {
        HttpClient client = Clients.newClient();
        Net.Deadline deadline = new Net.Deadline(START_TIMEOUT);
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("gateway exited with " + process.exitValue() + " before answering /hello"
                        + describeOutput());
            }
            try {
                HttpResponse<String> response = Clients.get(client, url("/hello"));
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            }
            deadline.check("gateway did not answer /hello on port " + port + describeOutput());
            Thread.sleep(50);
        }
    }

    /** Polls stdout until some line contains every fragment, and returns that line. */
    String awaitLine(Duration timeout, String... fragments) throws InterruptedException {
        Net.Deadline deadline = new Net.Deadline(timeout);
        while (true) {
            for (String line : stdout().split("\n")) {
                if (Arrays.stream(fragments).allMatch(line::contains)) {
                    return line;
                }
            }
            deadline.check("no line containing " + Arrays.toString(fragments) + describeOutput());
            Thread.sleep(Net.Deadline.POLL_MILLIS);
        }
    }

    /** Polls stdout until at least {@code count} lines contain every fragment. */
    void awaitLines(int count, Duration timeout, String... fragments) throws InterruptedException {
        Net.Deadline deadline = new Net.Deadline(timeout);
        while (lines(fragments).size() < count) {
            deadline.check("fewer than " + count + " lines containing " + Arrays.toString(fragments)
                    + describeOutput());
            Thread.sleep(Net.Deadline.POLL_MILLIS);
        }
    }

    /** Stdout lines that contain every fragment. */
    List<String> lines(String... fragments) {
        return Arrays.stream(stdout().split("\n"))
                .filter(line -> Arrays.stream(fragments).allMatch(line::contains))
                .toList();
    }

    /** Sends a signal by name ({@code HUP}, {@code TERM}) with {@code kill}. */
    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid()))
                .redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + name + " " + process.pid() + " failed: "
                    + new String(kill.getInputStream().readAllBytes()));
        }
    }

    /**
     * Sends SIGTERM without forking {@code kill} ({@link Process#destroy()} does that on Linux), for tests where
     * the moment of the signal matters.
     */
    void terminate() {
        process.destroy();
    }

    /** Waits for the process to end and returns its exit code; fails if it runs past {@code timeout}. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("gateway still running after " + timeout + describeOutput());
        }
        return process.exitValue();
    }

    String describeOutput() {
        return "\n--- command: " + command + "\n--- stdout:\n" + stdout() + "--- stderr:\n" + stderr();
    }

    /** Kills the process if it still runs and waits for it, so no test leaves a JVM behind. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
