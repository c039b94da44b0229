package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.transport.Transport;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.TestUpstream;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Main} in its own JVM: the command line, exit codes for configurations it cannot use, the start-up line
 * and the access log, all read from the process's real output.
 */
class MainTest {

    /** Exit code for a configuration or command line that cannot be used. */
    private static final int CONFIG_ERROR = 2;

    @TempDir
    Path dir;

    private ConfFolder folder;
    @RegisterExtension
    final Closer closer = new Closer();

    @BeforeEach
    void setUp() {
        folder = new ConfFolder(dir);
    }

    private GatewayProcess launch(String name, String... args) throws Exception {
        return closer.later(GatewayProcess.launch(dir, name, args));
    }

    private GatewayProcess serve(String name) throws Exception {
        return closer.later(GatewayProcess.startServing(dir, name, folder.conf));
    }

    private TestUpstream upstream(String name) throws Exception {
        return closer.later(TestUpstream.namingPaths(name));
    }

    /** Runs a gateway that must refuse to start; returns its stderr. */
    private String refusedStart(String name, String... args) throws Exception {
        GatewayProcess process = launch(name, args);
        int code = process.awaitExit(GatewayProcess.EXIT_TIMEOUT);
        assertEquals(CONFIG_ERROR, code, process.describeOutput());
        return process.stderr();
    }

    private String refusedConf(String name) throws Exception {
        return refusedStart(name, "--conf", folder.conf.toString(), "--port", String.valueOf(Ports.freePort()));
    }

    // --- command line ---

    @Test
    void helpPrintsUsageAndExitsZero() throws Exception {
        GatewayProcess process = launch("help", "--help");

        assertEquals(0, process.awaitExit(GatewayProcess.EXIT_TIMEOUT), process.describeOutput());
        assertTrue(process.stdout().contains("usage:"), process.describeOutput());
        assertTrue(process.stdout().contains("--conf"), process.describeOutput());
    }

    @Test
    void unknownArgumentExitsNonZeroNamingIt() throws Exception {
        String stderr = refusedStart("unknown-arg", "--frobnicate");

        assertTrue(stderr.contains("unknown argument '--frobnicate'"), stderr);
    }

    @Test
    void portThatIsNotANumberExitsWithAMessage() throws Exception {
        folder.writeConf(ConfFolder.tykConf());

        String stderr = refusedStart("bad-port", "--conf", folder.conf.toString(), "--port", "eighty");

        assertTrue(stderr.contains("--port"), stderr);
        assertTrue(stderr.contains("eighty"), stderr);
        assertFalse(stderr.contains("Exception"), "a usage error, not a stack trace:\n" + stderr);
    }

    // --- tyk.conf that cannot be used ---

    @Test
    void missingConfFileExitsNonZeroNamingThePath() throws Exception {
        Path missing = dir.resolve("nowhere").resolve("tyk.conf");

        String stderr = refusedStart("missing-conf", "--conf", missing.toString(), "--port",
                String.valueOf(Ports.freePort()));

        assertTrue(stderr.contains(missing.toString()), stderr);
        assertTrue(stderr.contains("does not exist"), stderr);
    }

    @Test
    void confWithInvalidJsonExitsNonZeroNamingTheFile() throws Exception {
        folder.writeConf("{\"listen_port\": 8080,\n \"app_path\": \"apps/\"\n");

        String stderr = refusedConf("invalid-json");

        assertTrue(stderr.contains("tyk.conf"), stderr);
        assertTrue(stderr.contains("invalid JSON"), stderr);
    }

    @Test
    void confWithAWrongTypeExitsNonZeroNamingTheField() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("listen_port", "x");
        folder.writeConf(conf);

        String stderr = refusedConf("wrong-type");

        assertTrue(stderr.contains("tyk.conf"), stderr);
        assertTrue(stderr.contains("/listen_port"), stderr);
    }

    @Test
    void useSslWithoutCertificatesExitsNonZeroNamingTheField() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("http_server_options").put("use_ssl", true);
        folder.writeConf(conf);

        String stderr = refusedConf("ssl-without-certificates");

        assertTrue(stderr.contains("tyk.conf"), stderr);
        assertTrue(stderr.contains("/http_server_options/use_ssl"), stderr);
    }

    @Test
    void useSslWithAMissingCertificateFileExitsNonZeroNamingTheEntry() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        ObjectNode options = conf.putObject("http_server_options");
        options.put("use_ssl", true);
        options.putArray("certificates").addObject().put("domain_name", "localhost")
                .put("cert_file", "certs/absent.pem").put("key_file", "certs/absent.key");
        folder.writeConf(conf);

        String stderr = refusedConf("ssl-missing-file");

        assertTrue(stderr.contains("/http_server_options/certificates/0"), stderr);
        assertTrue(stderr.contains("absent.pem"), stderr);
    }

    @Test
    void gatewayPortInUseExitsNonZeroNamingThePort() throws Exception {
        folder.writeConf(ConfFolder.tykConf());
        try (ServerSocket taken = new ServerSocket(0)) {
            String stderr = refusedStart("port-in-use", "--conf", folder.conf.toString(), "--port",
                    String.valueOf(taken.getLocalPort()));

            assertTrue(stderr.contains("cannot listen"), stderr);
            assertTrue(stderr.contains(String.valueOf(taken.getLocalPort())), stderr);
        }
    }

    // --- running ---

    @Test
    void startUpLineNamesTransportPortsAndApis() throws Exception {
        TestUpstream upstream = upstream("up");
        int ownPort = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("ports_whitelist").putObject("http").putArray("ports").add(ownPort);
        conf.put("io_threads", 3);
        folder.writeConf(conf)
                .writeApi("alpha.json", ConfFolder.api("alpha", "/alpha/", upstream.url("/")))
                .writeApi("beta.json", ConfFolder.api("beta", "/beta/", upstream.url("/")))
                .writeApi("gamma.json", ConfFolder.api("gamma", "/gamma/", upstream.url("/"))
                        .put("listen_port", ownPort));

        GatewayProcess gateway = serve("start-up");

        List<String> started = gateway.lines("gateway started:");
        assertEquals(1, started.size(), gateway.describeOutput());
        String line = started.get(0);
        // transport "auto": io_uring where the kernel allows it, as on the machines the tests run on
        assertTrue(line.contains("gateway started: transport=" + Transport.select().name() + " io_threads=3 "), line);
        assertTrue(line.contains(gateway.port + "/http [alpha, beta]"), line);
        assertTrue(line.contains(ownPort + "/http [gamma]"), line);
        assertTrue(line.contains("apis=3"), line);
    }

    @Test
    void transportNamedInTykConfIsTheOneThatServes() throws Exception {
        TestUpstream upstream = upstream("up");
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("transport", "epoll");
        folder.writeConf(conf).writeApi("alpha.json", ConfFolder.api("alpha", "/alpha/", upstream.url("/")));

        GatewayProcess gateway = serve("epoll");

        List<String> started = gateway.lines("gateway started:");
        assertEquals(1, started.size(), gateway.describeOutput());
        assertTrue(started.get(0).contains("gateway started: transport=epoll "), started.get(0));
        HttpResponse<String> response = Clients.get(Clients.newClient(), gateway.url("/alpha/"));
        assertEquals(200, response.statusCode(), gateway.describeOutput());
    }

    /** Netty's switch that stands for a kernel or container that allows neither native transport. */
    private static final List<String> NO_NATIVE_TRANSPORT = List.of("-Dio.netty.transport.noNative=true");

    @Test
    void autoTransportFallsBackToNioWithTheReasonsWhereNoNativeOneLoads() throws Exception {
        TestUpstream upstream = upstream("up");
        folder.writeConf(ConfFolder.tykConf()).writeApi("alpha.json",
                ConfFolder.api("alpha", "/alpha/", upstream.url("/")));

        GatewayProcess gateway = closer.later(GatewayProcess.startServing(NO_NATIVE_TRANSPORT, dir, "no-native",
                folder.conf));

        HttpResponse<String> response = Clients.get(Clients.newClient(), gateway.url("/alpha/"));
        assertEquals(200, response.statusCode(), gateway.describeOutput());
        List<String> fallback = gateway.lines("using nio");
        assertEquals(1, fallback.size(), gateway.describeOutput());
        assertTrue(fallback.get(0).contains("io_uring unavailable (") && fallback.get(0).contains(
                "native epoll unavailable ("), fallback.get(0));
        assertTrue(gateway.lines("gateway started:").get(0).contains("transport=nio "), gateway.describeOutput());
    }

    @Test
    void transportNamedThatCannotLoadStopsStartUpWithTheReason() throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("transport", "io_uring");
        folder.writeConf(conf);

        GatewayProcess process = closer.later(GatewayProcess.launchWithJvmOptions(NO_NATIVE_TRANSPORT, dir,
                "io-uring-refused", "--conf", folder.conf.toString(), "--port", String.valueOf(Ports.freePort())));

        assertEquals(CONFIG_ERROR, process.awaitExit(GatewayProcess.EXIT_TIMEOUT), process.describeOutput());
        assertTrue(process.stderr().contains("at /transport: transport io_uring: unavailable here ("),
                process.describeOutput());
    }

    @Test
    void accessLogWritesOneLinePerProxiedRequestWhenEnabled() throws Exception {
        TestUpstream upstream = upstream("up");
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("access_logs").put("enabled", true);
        ObjectNode api = ConfFolder.api("orders", "/orders/", upstream.url("/"));
        // The listen path is stripped for the upstream; the access log still shows what the client sent.
        ((ObjectNode) api.get("proxy")).put("strip_listen_path", true);
        folder.writeConf(conf).writeApi("orders.json", api);
        GatewayProcess gateway = serve("access-on");

        HttpResponse<String> response = Clients.get(Clients.newClient(), gateway.url("/orders/42?x=1"));
        assertEquals(200, response.statusCode());
        stop(gateway);

        // The readiness probe's /hello answers are logged too, with api=-.
        List<String> access = accessLines(gateway).stream().filter(l -> l.contains("api=orders")).toList();
        assertEquals(1, access.size(), gateway.describeOutput());
        String line = access.get(0);
        assertTrue(line.contains("api=orders"), line);
        assertTrue(line.contains("\"GET /orders/42?x=1 HTTP/1.1\""), line);
        assertTrue(line.contains("status=200"), line);
    }

    @Test
    void accessLogIsSilentWhenNotEnabled() throws Exception {
        TestUpstream upstream = upstream("up");
        folder.writeConf(ConfFolder.tykConf()).writeApi("orders.json",
                ConfFolder.api("orders", "/orders/", upstream.url("/")));
        GatewayProcess gateway = serve("access-off");

        HttpResponse<String> response = Clients.get(Clients.newClient(), gateway.url("/orders/42"));
        assertEquals(200, response.statusCode());
        stop(gateway);

        assertEquals(List.of(), accessLines(gateway), gateway.describeOutput());
    }

    /** Stops the gateway with SIGTERM so that everything it logged is in its output. */
    private static void stop(GatewayProcess gateway) throws Exception {
        gateway.signal("TERM");
        assertEquals(0, gateway.awaitExit(GatewayProcess.EXIT_TIMEOUT), gateway.describeOutput());
    }

    /** Lines of the {@code gateway.access} logger, as the shipped pattern prints its short name. */
    private static List<String> accessLines(GatewayProcess gateway) {
        return gateway.lines("] access - ");
    }
}
