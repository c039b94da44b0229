package dev.gateway.examples.grpc;

import dev.gateway.examples.CommandLine;
import io.grpc.InsecureServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the gRPC demo upstreams: Greeter and RouteGuide, with server reflection, in plaintext, and in TLS too when
 * given a certificate.
 *
 * <pre>
 * java -cp examples.jar dev.gateway.examples.grpc.GrpcDemoServers [--port 50051] [--host 127.0.0.1]
 *     [--tls-port 10000 --cert server.pem --key server.key]
 * </pre>
 */
public final class GrpcDemoServers {

    private static final Logger log = LoggerFactory.getLogger(GrpcDemoServers.class);

    /** The port grpc-java's own examples use for plaintext. */
    public static final int DEFAULT_PORT = 50051;

    /** The port grpc-java's own TLS examples use. */
    public static final int DEFAULT_TLS_PORT = 10000;

    /** Loopback by default: a demo upstream has no business being reachable from other hosts. */
    public static final String DEFAULT_HOST = GrpcTestServers.LOOPBACK;

    private static final String USAGE = "usage: java -cp examples.jar " + GrpcDemoServers.class.getName()
            + " [--port " + DEFAULT_PORT + "] [--host " + DEFAULT_HOST + "]"
            + " [--tls-port " + DEFAULT_TLS_PORT + " --cert server.pem --key server.key]";
    private static final CommandLine CLI = new CommandLine(USAGE);

    private GrpcDemoServers() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = DEFAULT_PORT;
        int tlsPort = DEFAULT_TLS_PORT;
        String host = DEFAULT_HOST;
        Path cert = null;
        Path key = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = CLI.port(CLI.valueOf(args, ++i, "--port"));
                case "--tls-port" -> tlsPort = CLI.port(CLI.valueOf(args, ++i, "--tls-port"));
                case "--host" -> host = CLI.valueOf(args, ++i, "--host");
                case "--cert" -> cert = Path.of(CLI.valueOf(args, ++i, "--cert"));
                case "--key" -> key = Path.of(CLI.valueOf(args, ++i, "--key"));
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> CLI.fail("unknown argument: " + args[i]);
            }
        }
        if ((cert == null) != (key == null)) {
            CLI.fail("--cert and --key go together");
        }

        GrpcTestServers plaintext = null;
        GrpcTestServers tls = null;
        try {
            plaintext = GrpcTestServers.start(new InetSocketAddress(host, port), InsecureServerCredentials.create());
            log.info("grpc demo listening on {}:{} (plaintext h2c: helloworld.Greeter, routeguide.RouteGuide,"
                    + " server reflection)",
                    host, plaintext.port());
            if (cert != null) {
                tls = GrpcTestServers.start(new InetSocketAddress(host, tlsPort),
                        TlsServerCredentials.create(cert.toFile(), key.toFile()));
                log.info("grpc demo listening on {}:{} (TLS with {})", host, tls.port(), cert);
            } else {
                log.info("no --cert and --key: TLS port not started");
            }
        } catch (IOException | RuntimeException e) {
            log.error("grpc demo could not start on {}: {}", host, e.toString());
            closeAll(plaintext, tls);
            System.exit(1);
            return;
        }

        GrpcTestServers plaintextServer = plaintext;
        GrpcTestServers tlsServer = tls;
        Runtime.getRuntime().addShutdownHook(
                new Thread(() -> closeAll(plaintextServer, tlsServer), "grpc-demo-shutdown"));
        plaintext.awaitTermination();
    }

    private static void closeAll(GrpcTestServers... servers) {
        for (GrpcTestServers server : servers) {
            if (server != null) {
                server.close();
            }
        }
    }
}
