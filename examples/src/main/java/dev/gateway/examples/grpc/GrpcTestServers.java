package dev.gateway.examples.grpc;

import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@link GreeterService} and {@link RouteGuideService} on one port, with server reflection, behind a
 * {@link CancellationProbe}: what a gateway test starts as its gRPC upstream, and what {@link GrpcDemoServers}
 * runs.
 *
 * <pre>{@code
 * try (GrpcTestServers upstream = GrpcTestServers.start(0)) {
 *     ManagedChannel channel = Grpc.newChannelBuilderForAddress(
 *             GrpcTestServers.LOOPBACK, upstream.port(), InsecureChannelCredentials.create()).build();
 *     ...
 * }
 * }</pre>
 *
 * <p>Plaintext speaks HTTP/2 with prior knowledge (h2c); TLS negotiates h2 by ALPN.
 */
public final class GrpcTestServers implements AutoCloseable {

    /** Where {@link #start(int)} and {@link #startTls} listen: a test upstream has no business being reachable. */
    public static final String LOOPBACK = "127.0.0.1";

    /** Upper bound on how long {@link #close()} waits for the server's threads after cancelling every call. */
    private static final long SHUTDOWN_TIMEOUT_SECONDS = 5;

    private final Server server;
    private final ScheduledExecutorService scheduler;
    private final CancellationProbe cancellations;

    private GrpcTestServers(Server server, ScheduledExecutorService scheduler, CancellationProbe cancellations) {
        this.server = server;
        this.scheduler = scheduler;
        this.cancellations = cancellations;
    }

    /** Plaintext on {@link #LOOPBACK}; {@code port} 0 picks a free port, see {@link #port()}. */
    public static GrpcTestServers start(int port) throws IOException {
        return start(new InetSocketAddress(LOOPBACK, port), InsecureServerCredentials.create());
    }

    /**
     * TLS on {@link #LOOPBACK} with a PEM certificate chain and its PEM (PKCS#8) private key, for example
     * gateway-core's {@code TestCerts.localhostPem()} and {@code TestCerts.localhostKey()}.
     */
    public static GrpcTestServers startTls(int port, Path certChain, Path privateKey) throws IOException {
        return start(new InetSocketAddress(LOOPBACK, port),
                TlsServerCredentials.create(certChain.toFile(), privateKey.toFile()));
    }

    /**
     * Reflection as {@code grpc.reflection.v1alpha}: deprecated in favour of v1, which grpcurl 1.9 and later try
     * first, but older grpcurl and many IDE clients only know v1alpha.
     */
    @SuppressWarnings("deprecation")
    private static BindableService reflectionV1Alpha() {
        return ProtoReflectionService.newInstance();
    }

    /** Both services on {@code address} with the given transport security. */
    public static GrpcTestServers start(InetSocketAddress address, ServerCredentials credentials) throws IOException {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "grpc-demo-timer");
            thread.setDaemon(true);
            return thread;
        });
        // A cancelled slow reply leaves the queue at once rather than at its due time.
        scheduler.setRemoveOnCancelPolicy(true);
        CancellationProbe cancellations = new CancellationProbe();
        Server server = NettyServerBuilder.forAddress(address, credentials)
                .addService(new GreeterService(scheduler))
                .addService(new RouteGuideService(scheduler))
                // Server reflection, v1 and the v1alpha that older grpcurl and IDE clients still ask for: clients
                // list and describe the services without .proto files, through the gateway too.
                .addService(ProtoReflectionServiceV1.newInstance())
                .addService(reflectionV1Alpha())
                .intercept(cancellations)
                .build();
        try {
            server.start();
        } catch (IOException | RuntimeException e) {
            scheduler.shutdownNow();
            throw e;
        }
        return new GrpcTestServers(server, scheduler, cancellations);
    }

    /** The bound port: the one asked for, or the one picked for port 0. */
    public int port() {
        return server.getPort();
    }

    /** Counts the calls cancelled so far on this server. */
    public CancellationProbe cancellations() {
        return cancellations;
    }

    /** Blocks until the server has stopped, as {@link GrpcDemoServers} does until its shutdown hook runs. */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /** Stops at once: open calls are cancelled (and counted by {@link #cancellations()}), connections closed. */
    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            scheduler.shutdownNow();
        }
    }
}
