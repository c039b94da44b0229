package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.http.support.Clients;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/gateway.service}, the systemd unit: {@code systemd-analyze verify} accepts it, its stop and reload
 * are the gateway's signals with a stop timeout longer than the drain, it is hardened, and its own command line
 * serves, reloads on SIGHUP and exits 0 on SIGTERM. No systemd runs here (the tests may run in a container), so the
 * unit is checked offline and its command run by hand.
 */
class SystemdUnitTest {

    /** Where the unit expects the jar and the configuration. */
    private static final String JAR = "/opt/gateway/gateway.jar";
    private static final String CONF = "/etc/gateway/tyk.conf";
    /** What the stop timeout must leave beyond the drain delay and the grace: the JVM's own exit, the log's flush. */
    private static final Duration STOP_MARGIN = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();

    @Test
    void systemdAnalyzeVerifyAcceptsTheUnit() throws Exception {
        // verify checks that each Exec command is an executable file on this machine. The unit names Debian's
        // /usr/bin/java (default-jre-headless) and /bin/kill (procps), which a test machine may lack or have
        // elsewhere: a copy names the test's own java in place of any of them that is missing. Everything else is
        // verified as shipped.
        Path copy = dir.resolve("gateway.service");
        String unit = Files.readString(unitFile());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (String binary : List.of("/usr/bin/java", "/bin/kill")) {
            if (!Files.isExecutable(Path.of(binary))) {
                unit = unit.replace("=" + binary + " ", "=" + java + " ");
            }
        }
        Files.writeString(copy, unit);

        Run verify = run("systemd-analyze", "verify", copy.toString());

        assertEquals(0, verify.exitCode(), verify.output());
        // Unknown keys and bad values are warnings that leave the exit code at 0: any line naming the unit fails.
        assertFalse(verify.output().contains("gateway.service"), verify.output());
    }

    @Test
    void hardeningLeavesAnExposureThatSystemdCallsOk() throws Exception {
        Run security = run("systemd-analyze", "security", "--offline=yes", unitFile().toString());

        assertEquals(0, security.exitCode(), security.output());
        Matcher level = Pattern.compile("Overall exposure level for gateway\\.service: ([0-9.]+) (\\w+)")
                .matcher(security.output());
        assertTrue(level.find(), security.output());
        // systemd's words: SAFE, OK, MEDIUM, EXPOSED, UNSAFE. This unit scores 3.1 on systemd 252.
        assertTrue(List.of("SAFE", "OK").contains(level.group(2)), security.output());
    }

    @Test
    void stopIsSigtermWithATimeoutLongerThanTheDrainAndReloadIsSighup() throws Exception {
        Map<String, List<String>> service = section(Files.readString(unitFile()), "Service");

        assertEquals(List.of("gateway"), service.get("User"));
        assertEquals(List.of("/bin/kill -HUP $MAINPID"), service.get("ExecReload"));
        assertEquals(List.of("SIGTERM"), service.get("KillSignal"));
        // The gateway exits 0 after a SIGTERM (MainSignalsTest), so 143 must not pass for success.
        assertNull(service.get("SuccessExitStatus"));
        List<String> gatewayOpts = words(environment(service).get("GATEWAY_OPTS"));
        Duration drain = Duration.ofSeconds(Long.parseLong(option(gatewayOpts, "--drain-delay-seconds")))
                .plusSeconds(Long.parseLong(option(gatewayOpts, "--grace-seconds")));
        Duration stopTimeout = Duration.ofSeconds(Long.parseLong(service.get("TimeoutStopSec").get(0)));
        assertTrue(stopTimeout.compareTo(drain.plus(STOP_MARGIN)) >= 0,
                "TimeoutStopSec " + stopTimeout + " must exceed the drain delay and grace, " + drain + ", by "
                        + STOP_MARGIN);

        assertEquals(List.of("strict"), service.get("ProtectSystem"));
        assertEquals(List.of("yes"), service.get("NoNewPrivileges"));
        assertEquals(List.of("CAP_NET_BIND_SERVICE"), service.get("AmbientCapabilities"));
        assertEquals(List.of("CAP_NET_BIND_SERVICE"), service.get("CapabilityBoundingSet"));
        assertEquals(List.of("yes"), service.get("PrivateTmp"));
        assertTrue(service.get("ReadWritePaths").get(0).contains("/etc/gateway/apps"),
                "the Gateway API writes app_path: " + service.get("ReadWritePaths"));
        assertTrue(service.get("ExecStart").get(0).contains("--conf " + CONF));
    }

    @Test
    void theUnitsCommandServesReloadsOnSighupAndExitsZeroOnSigtermWithinTheStopTimeout() throws Exception {
        Map<String, List<String>> service = section(Files.readString(unitFile()), "Service");
        Map<String, String> environment = environment(service);
        List<String> execStart = new ArrayList<>();
        for (String word : words(service.get("ExecStart").get(0))) {
            if (word.startsWith("$")) {
                execStart.addAll(words(environment.get(word.substring(1))));
            } else {
                execStart.add(word);
            }
        }
        // java JAVA_OPTS -jar JAR --conf CONF GATEWAY_OPTS: the jar becomes the test's class path (GatewayProcess),
        // the configuration a folder of the test's.
        int jar = execStart.indexOf("-jar");
        assertEquals(JAR, execStart.get(jar + 1));
        List<String> javaOptions = execStart.subList(1, jar);
        List<String> args = new ArrayList<>(execStart.subList(jar + 2, execStart.size()));
        ConfFolder folder = new ConfFolder(dir);
        folder.writeConf(ConfFolder.tykConf());
        args.set(args.indexOf(CONF), folder.conf.toString());
        int port = Ports.freePort();
        args.addAll(List.of("--port", String.valueOf(port)));

        GatewayProcess gateway = closer.later(GatewayProcess.launchWithJavaOptionsOnly(javaOptions, dir, "unit",
                args.toArray(String[]::new)));
        gateway.awaitReady();
        HttpClient client = Clients.newClient();
        assertEquals(200, Clients.get(client, gateway.url("/ready")).statusCode());

        gateway.signal("HUP"); // ExecReload
        gateway.awaitLine(Duration.ofSeconds(10), "Gateway - reloaded: ");
        gateway.signal("TERM"); // KillSignal

        Duration stopTimeout = Duration.ofSeconds(Long.parseLong(service.get("TimeoutStopSec").get(0)));
        assertEquals(0, gateway.awaitExit(stopTimeout), gateway.describeOutput());
        assertFalse(gateway.lines("Gateway - stopped").isEmpty(), gateway.describeOutput());
    }

    private static Path unitFile() {
        Path unit = Path.of(System.getProperty("basedir", ".")).resolve("../deploy/gateway.service").normalize();
        assertTrue(Files.isRegularFile(unit), "no " + unit.toAbsolutePath());
        return unit;
    }

    /** The settings of one section, by key, each value as written (keys may repeat). */
    private static Map<String, List<String>> section(String unit, String name) {
        Map<String, List<String>> settings = new LinkedHashMap<>();
        String current = "";
        for (String line : unit.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith(";")) {
                continue;
            }
            if (trimmed.startsWith("[")) {
                current = trimmed.substring(1, trimmed.length() - 1);
            } else if (current.equals(name)) {
                int equals = trimmed.indexOf('=');
                settings.computeIfAbsent(trimmed.substring(0, equals), k -> new ArrayList<>())
                        .add(trimmed.substring(equals + 1));
            }
        }
        return settings;
    }

    /** The variables of the section's {@code Environment=} lines, each written {@code "NAME=value"}. */
    private static Map<String, String> environment(Map<String, List<String>> service) {
        Map<String, String> variables = new LinkedHashMap<>();
        for (String value : service.getOrDefault("Environment", List.of())) {
            String unquoted = value.startsWith("\"") ? value.substring(1, value.length() - 1) : value;
            int equals = unquoted.indexOf('=');
            variables.put(unquoted.substring(0, equals), unquoted.substring(equals + 1));
        }
        return variables;
    }

    private static List<String> words(String text) {
        return Arrays.stream(text.strip().split("\\s+")).filter(w -> !w.isEmpty()).toList();
    }

    private static String option(List<String> words, String name) {
        int at = words.indexOf(name);
        assertTrue(at >= 0 && at + 1 < words.size(), name + " in " + words);
        return words.get(at + 1);
    }

    private record Run(int exitCode, String output) {
    }

    private static Run run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not end");
        return new Run(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
