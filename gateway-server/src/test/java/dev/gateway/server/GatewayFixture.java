package dev.gateway.server;

import io.grpc.CallCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.CapturedLog;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.http.support.Clients;
import dev.gateway.http.support.TestUpstream;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What in-process gateway tests share: a configuration folder, a captured log, one upstream, a client, and the
 * closer that stops whatever a test started.
 */
abstract class GatewayFixture {

    /** Grace an in-process gateway gets when a test ends; held requests were released by then or do not matter. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();
    final HttpClient client = Clients.newClient();
    ConfFolder folder;
    CapturedLog log;
    TestUpstream upstream;

    @BeforeEach
    void setUpFixture() throws Exception {
        folder = new ConfFolder(dir);
        log = closer.later(CapturedLog.attach());
        upstream = closer.later(TestUpstream.namingPaths("up"));
    }

    /** Starts an in-process gateway on an ephemeral port; it is stopped when the test ends. */
    Gateway startGateway(Path conf) throws Exception {
        return startGateway(closer, conf);
    }

    /** Starts an in-process gateway on an ephemeral port; {@code closer} stops it when the test ends. */
    static Gateway startGateway(Closer closer, Path conf) throws Exception {
        Gateway gateway = Gateway.start(conf, 0);
        closer.later(() -> gateway.stop(STOP_GRACE));
        return gateway;
    }

    /**
     * A gateway whose own port speaks HTTP/2 as well (h2c, or h2 by ALPN over TLS with the test certificate), with
     * one API at {@code /api/} in front of the fixture's upstream.
     */
    Gateway http2Gateway(boolean tls) throws Exception {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("http_server_options").put("enable_http2", true);
        if (tls) {
            folder.serveTls(conf);
        }
        folder.writeConf(conf).writeApi("api.json", ConfFolder.api("api", "/api/", upstream.url("/")));
        return startGateway(folder.conf);
    }

    /** A gRPC channel in cleartext (h2c) to {@code gateway}'s own port; shut down when the test ends. */
    ManagedChannel h2cChannel(Gateway gateway) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", gateway.gatewayPort(),
                InsecureChannelCredentials.create()).build();
        closer.later(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        return channel;
    }

    /** Call credentials that send {@code value} as metadata {@code authorization}, as a Tyk user's client would. */
    static CallCredentials authorization(String value) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), value);
                applier.apply(headers);
            }
        };
    }

    static String url(int port, String path) {
        return "http://127.0.0.1:" + port + path;
    }
}
