package dev.gateway.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Fuzzes the configuration loader with the bytes of a user's files: each input is written to disk and loaded both
 * as {@code tyk.conf} ({@link ConfigLoader#loadGatewayConfig}) and as an API definition
 * ({@link ConfigLoader#loadApi}); the two parsers share most of their input language (JSON, then Jackson's
 * binding), so one corpus serves both. The corpus, in {@code ConfigLoaderFuzzTestInputs/}, is the repository's
 * {@code config/} and examples from {@code docs/}.
 *
 * <p>Whatever the bytes, each load ends in a result or in problems that name the file, never in another
 * exception: {@code tyk.conf} loads or throws a {@link ConfigException} holding one error; an API definition loads,
 * with no error among its problems and targets the proxy can use, or is skipped, with an error among them or
 * because it is inactive.
 */
@Tag("fuzz")
class ConfigLoaderFuzzTest {

    private static final String CONF = "tyk.conf";
    private static final String API = "api.json";
    private static final ObjectMapper PLAIN = new ObjectMapper();

    /** The loader's log level before the fuzz run; each input would otherwise log its inactive API. */
    private static Level loaderLevel;

    @TempDir
    Path dir;

    @BeforeAll
    static void quietLoader() {
        Logger logger = (Logger) LoggerFactory.getLogger(ConfigLoader.class.getPackageName());
        loaderLevel = logger.getLevel();
        logger.setLevel(Level.WARN);
    }

    @AfterAll
    static void restoreLoader() {
        ((Logger) LoggerFactory.getLogger(ConfigLoader.class.getPackageName())).setLevel(loaderLevel);
    }

    @FuzzTest(maxDuration = "30s")
    @Timeout(10)
    void loadsOrReportsProblems(byte[] input) throws IOException {
        loadsAsGatewayConfig(Files.write(dir.resolve(CONF), input));
        loadsAsApiDefinition(Files.write(dir.resolve(API), input), input);
    }

    private void loadsAsGatewayConfig(Path conf) {
        List<LoadProblem> warnings = new ArrayList<>();
        try {
            assertNotNull(ConfigLoader.loadGatewayConfig(conf, warnings));
        } catch (ConfigException e) {
            assertTrue(e.problem().isError(), "a refused tyk.conf says so with an error");
            checkNamesTheFile(e.problem(), CONF);
        }
        for (LoadProblem warning : warnings) {
            assertFalse(warning.isError(), "tyk.conf's errors are thrown, not listed: " + warning);
            checkNamesTheFile(warning, CONF);
        }
    }

    private void loadsAsApiDefinition(Path file, byte[] input) {
        List<LoadProblem> problems = new ArrayList<>();
        Optional<LoadedApi> loaded = ConfigLoader.loadApi(file, dir, problems);
        problems.forEach(problem -> checkNamesTheFile(problem, API));
        boolean refused = problems.stream().anyMatch(LoadProblem::isError);
        if (loaded.isPresent()) {
            assertFalse(refused, "an API that loads has no error: " + problems);
            ApiDefinition api = loaded.get().definition();
            // What the loader accepted, the snapshot and the proxies must be able to use.
            assertNotNull(api.protocol().equals("tcp") || api.protocol().equals("tls")
                    ? ConfigLoader.tcpTargets(api) : ConfigLoader.httpTargets(api));
        } else if (!refused) {
            assertTrue(inactive(input), "an API skipped without an error is an inactive one");
        }
    }

    /**
     * The definition sets {@code active} to something other than {@code true}: the one reason the loader skips an
     * API without an error. Read with a plain mapper, as JSON, not with the loader's bindings.
     */
    private static boolean inactive(byte[] input) {
        try {
            JsonNode active = PLAIN.readTree(input).path("active");
            return !active.isMissingNode() && !active.isNull() && !(active.isBoolean() && active.booleanValue());
        } catch (IOException e) {
            return false; // the loader parsed it, so this does not happen
        }
    }

    private static void checkNamesTheFile(LoadProblem problem, String file) {
        assertEquals(file, problem.file(), "a problem names the file");
        assertFalse(problem.reason().isBlank(), "a problem says what is wrong");
        assertTrue(problem.jsonPath().isEmpty() || problem.jsonPath().startsWith("/"),
                "a problem's place is a JSON pointer: " + problem.jsonPath());
    }
}
