package dev.gateway.http.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The {@code curl} command line, for a client the gateway did not grow up with. */
public final class Curl {

    private static final long TIMEOUT_SECONDS = 20;

    private Curl() {
    }

    /** What one run printed and how it ended. */
    public record Result(int exitCode, String stdout, String stderr) {
    }

    /** Runs {@code curl} with the arguments; the process is killed if it outlives the timeout. */
    public static Result run(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("curl");
        command.add("--max-time");
        command.add(String.valueOf(TIMEOUT_SECONDS - 5));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        try {
            process.getOutputStream().close();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("curl did not finish within " + TIMEOUT_SECONDS + " s: " + command);
            }
            return new Result(process.exitValue(),
                    new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                    new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
        }
    }
}
