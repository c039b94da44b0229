package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gateway.auth.AuthFilters;
import dev.gateway.core.keys.MemoryKeyStore;
import dev.gateway.core.testing.Closer;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.tls.ClientCertificates;
import dev.gateway.core.tls.PemKeyPair;
import dev.gateway.examples.grpc.GrpcTestServers;
import dev.gateway.examples.grpc.helloworld.GreeterGrpc;
import dev.gateway.examples.grpc.helloworld.HelloRequest;
import dev.gateway.grpc.GrpcRules;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TykApi;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static mutual TLS for gRPC: grpc-java presents a client certificate over TLS (ALPN h2) to a port that also serves
 * an API without mTLS, and gets a gRPC status for each refusal, with Tyk's words as its message.
 */
class MutualTlsGrpcTest {

    private static final long CALL_SECONDS = 10;

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();

    private ProxyUnderTest gateway;

    @BeforeEach
    void start() throws Exception {
        Files.copy(TestCerts.caPem(), dir.resolve("ca.pem"));
        GrpcTestServers server = closer.later(GrpcTestServers.start(0));
        String target = "h2c://" + GrpcTestServers.LOOPBACK + ":" + server.port();
        AuthFilters auth = new AuthFilters(new MemoryKeyStore(), true, false);
        gateway = closer.later(ProxyUnderTest.builder(dir)
                .conf(c -> c.http("enable_http2", true))
                .rules(GrpcRules.INSTANCE)
                .https(PemKeyPair.of(TestCerts.localhostPem(), TestCerts.localhostKey()))
                .api(TykApi.keyless("greeter", "/helloworld.Greeter", target).stripListenPath(false)
                        .put("use_mutual_tls_auth", true).put("client_certificates", List.of("ca.pem")))
                .api(TykApi.keyless("open", "/open", target))
                .filters(api -> {
                    RequestFilter mutualTls = auth.mutualTls(api, dir);
                    return mutualTls == null ? List.of() : List.of(mutualTls);
                })
                .start());
    }

    private String sayHello(Path certPem, Path keyPem) throws Exception {
        TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder()
                .trustManager(TestCerts.caPem().toFile());
        if (certPem != null) {
            credentials.keyManager(certPem.toFile(), keyPem.toFile());
        }
        ManagedChannel channel = channel(credentials.build());
        return GreeterGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS)
                .sayHello(HelloRequest.newBuilder().setName("mtls").build()).getMessage();
    }

    private ManagedChannel channel(ChannelCredentials credentials) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", gateway.port(), credentials).build();
        closer.<AutoCloseable>later(() -> {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        });
        return channel;
    }

    private void assertRefused(Status.Code code, String message, Path certPem, Path keyPem) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> sayHello(certPem, keyPem));
        assertEquals(code, e.getStatus().getCode(), e::toString);
        assertEquals("gateway: " + message, e.getStatus().getDescription());
    }

    @Test
    void callWithACertificateIssuedByTheListedCaPasses() throws Exception {
        assertEquals("Hello mtls", sayHello(TestCerts.clientPem(), TestCerts.clientKey()));
    }

    @Test
    void refusalsAreGrpcStatusesInTyksWords() throws Exception {
        assertRefused(Status.Code.UNAUTHENTICATED, "Client TLS certificate is required", null, null);
        assertRefused(Status.Code.UNAUTHENTICATED, "Certificate has expired", TestCerts.expiredClientPem(),
                TestCerts.expiredClientKey());
        String fingerprint;
        try (InputStream in = Files.newInputStream(TestCerts.selfSignedPem())) {
            fingerprint = ClientCertificates.fingerprint(
                    (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        assertRefused(Status.Code.PERMISSION_DENIED, "Certificate with SHA256 " + fingerprint + " not allowed",
                TestCerts.selfSignedPem(), TestCerts.selfSignedKey());
    }
}
