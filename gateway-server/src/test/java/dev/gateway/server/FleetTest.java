package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/fleet.sh} in its quick mode: three gateways (this build's, from the test class path) sharing a
 * redis-server behind HAProxy in mode tcp with PROXY v2 and checks on {@code /ready}, under wrk and h2load load. The
 * script checks each claim itself and reports each as met or NOT met; this test runs it and reads the report. It
 * needs HAProxy, nginx, wrk, nghttp2-client and redis-server, which {@code bin/test} installs.
 */
class FleetTest {

    /** The script takes about two minutes on a busy 2-core machine; past this it is stopped, its trap cleaning up. */
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    /** Every check the quick run makes, by the start of its report line. */
    private static final List<String> CHECKS = List.of(
            "- a key made through gateway 1's API authenticates at once on gateways 1, 2, 3",
            "- rate limit 10 per 3 s across three gateways",
            "- quota of 15 across three gateways",
            "- a group reload through gateway 1 makes all three serve a new definition within 2000 ms",
            "- client addresses through HAProxy (PROXY v2)",
            "- no failed request meanwhile",
            "- gRPC server stream (grpc-java, ListFeatures paced) on draining gateway 2",
            "- the same over nghttp",
            "- WebSocket (WsPaced) on draining gateway 2 closed with 1001 going away",
            "- redis-cli through gateway 2's tcp API",
            "- each gateway exited 0 after its drain, and HAProxy had it DOWN before its port closed",
            "- wrk through the rolling restart: 0 socket errors and 0 non-2xx",
            "- h2load through the rolling restart: 0 calls failed after being sent",
            "- HAProxy dropped the killed gateway within",
            "- only what was open on it failed");

    @Test
    void threeGatewaysShareStateBehindHaproxyAndRestartOneByOneWithoutAFailedRequest() throws Exception {
        Path root = Path.of(System.getProperty("basedir", ".")).resolve("..").normalize();
        Path target = Path.of(System.getProperty("basedir", ".")).resolve("target").toAbsolutePath();
        Files.createDirectories(target);
        Path report = target.resolve("fleet-report.md");
        Path output = target.resolve("fleet-output.log");
        Files.deleteIfExists(report);
        String classPath = System.getProperty("java.class.path");

        ProcessBuilder builder = new ProcessBuilder("bash", root.resolve("deploy/fleet.sh").toString())
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        Map<String, String> env = builder.environment();
        env.put("QUICK", "1");
        env.put("REDIS", "standalone");
        // This build's gateway and examples, before their jars exist (surefire runs before package).
        env.put("GATEWAY_CLASSPATH", classPath);
        env.put("EXAMPLES_CLASSPATH", classPath);
        env.put("REPORT", report.toString());
        // Away from the bench scripts' 18xxx defaults; a busy port moves the rest up.
        env.put("PORT_BASE", "24300");
        Process script = builder.start();
        try {
            if (!script.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("deploy/fleet.sh still running after " + TIMEOUT + describe(output));
            }
        } finally {
            stop(script);
        }

        assertEquals(0, script.exitValue(), "deploy/fleet.sh failed" + describe(output));
        String text = Files.readString(report);
        assertTrue(!text.contains("NOT met"), text);
        List<String> lines = text.lines().toList();
        for (String check : CHECKS) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(check) && l.endsWith(": met")),
                    "no line '" + check + "...: met' in the report:\n" + text);
        }
        assertTrue(text.contains("exchanges of the load and the streams logged: 0 with a status other than 2xx"),
                text);
    }

    /** SIGTERM first: the script's trap then stops every process it started; SIGKILL if it lingers. */
    private static void stop(Process script) throws InterruptedException {
        if (script.isAlive()) {
            script.destroy();
            if (!script.waitFor(30, TimeUnit.SECONDS)) {
                script.destroyForcibly();
                script.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static String describe(Path output) throws IOException {
        List<String> lines = Files.exists(output) ? Files.readAllLines(output) : List.of();
        return "\n--- the last lines of " + output + ":\n"
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }
}
