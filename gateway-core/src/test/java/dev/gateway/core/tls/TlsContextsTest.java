package dev.gateway.core.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.config.HttpServerOptions;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.testing.TestTls;
import dev.gateway.core.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.Mapping;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class TlsContextsTest {

    private static final int TIMEOUT_SECONDS = 10;

    private static Transport transport;
    private static EventLoopGroup group;

    @BeforeAll
    static void startEventLoop() {
        transport = Transport.select();
        group = transport.newEventLoopGroup(1, "tls-contexts-test");
    }

    @AfterAll
    static void stopEventLoop() throws Exception {
        group.shutdownGracefully(0, TIMEOUT_SECONDS, TimeUnit.SECONDS).sync();
    }

    // --- SNI mapping, by identity ---

    @Test
    void sniNamePicksItsCertificatesContext() throws Exception {
        Mapping<String, SslContext> mapping = mapping(HttpServerOptions.TLS_1_2);

        SslContext localhost = mapping.map("localhost");
        SslContext example = mapping.map("api.example.com");

        assertNotSame(localhost, example);
        assertSame(example, mapping.map("API.EXAMPLE.COM"));
    }

    @Test
    void wildcardCoversOneLabelBelowIt() throws Exception {
        Mapping<String, SslContext> mapping = mapping(HttpServerOptions.TLS_1_2);

        assertSame(mapping.map("api.example.com"), mapping.map("foo.wild.example.com"));
        assertSame(mapping.map("unknown.test"), mapping.map("wild.example.com"));
    }

    @Test
    void unknownOrAbsentNameGetsTheDefault() throws Exception {
        Mapping<String, SslContext> mapping = mapping(HttpServerOptions.TLS_1_2);

        SslContext fallback = mapping.map("unknown.test");

        assertSame(fallback, mapping.map(null));
        assertNotSame(mapping.map("api.example.com"), fallback);
    }

    @Test
    void serverMappingNeedsACertificate() {
        IOException e = assertThrows(IOException.class,
                () -> TlsContexts.serverMapping(List.of(), HttpServerOptions.TLS_1_2));
        assertTrue(e.getMessage().contains("certificate"), e.getMessage());
    }

    // --- SNI mapping, over a real handshake ---

    @Test
    void handshakeServesTheCertificateForTheSniName() throws Exception {
        Mapping<String, SslContext> mapping = mapping(HttpServerOptions.TLS_1_2);

        assertEquals(List.of("localhost"), dnsNames(servedCertificate(mapping, "localhost", null)));
        assertEquals(List.of("api.example.com", "*.wild.example.com"),
                dnsNames(servedCertificate(mapping, "api.example.com", null)));
        assertEquals(List.of("api.example.com", "*.wild.example.com"),
                dnsNames(servedCertificate(mapping, "x.wild.example.com", null)));
    }

    @Test
    void handshakeWithUnknownOrNoSniServesTheFirstCertificate() throws Exception {
        Mapping<String, SslContext> mapping = mapping(HttpServerOptions.TLS_1_2);

        assertEquals(List.of("localhost"), dnsNames(servedCertificate(mapping, "unknown.test", null)));
        assertEquals(List.of("localhost"), dnsNames(servedCertificate(mapping, null, null)));
    }

    @Test
    void tls13MinimumRefusesATls12Client() throws Exception {
        Mapping<String, SslContext> mapping = mapping(HttpServerOptions.TLS_1_3);

        assertThrows(IOException.class, () -> servedCertificate(mapping, "localhost", "TLSv1.2"));
        assertEquals(List.of("localhost"), dnsNames(servedCertificate(mapping, "localhost", "TLSv1.3")));
    }

    @Test
    void tls12MinimumAcceptsATls12Client() throws Exception {
        Mapping<String, SslContext> mapping = mapping(HttpServerOptions.TLS_1_2);

        assertEquals(List.of("localhost"), dnsNames(servedCertificate(mapping, "localhost", "TLSv1.2")));
    }

    // --- session resumption ---

    @Test
    void tls13SessionResumesOnContextsBuiltAgainAsAReloadDoes() throws Exception {
        assertResumesAfterRebuild("TLSv1.3");
    }

    @Test
    void tls12SessionResumesOnContextsBuiltAgainAsAReloadDoes() throws Exception {
        assertResumesAfterRebuild("TLSv1.2");
    }

    /**
     * A client resumes its session (by ticket) on contexts built anew for the same certificate, as a reload builds
     * them: the second handshake is served by the new contexts, which count one ticket resumption.
     */
    private static void assertResumesAfterRebuild(String protocol) throws Exception {
        AtomicReference<Mapping<String, SslContext>> current =
                new AtomicReference<>(mapping(HttpServerOptions.TLS_1_2));
        Channel server = bindServer(new SniHandlerInitializer(name -> current.get().map(name)));
        try {
            SSLContext client = TestTls.trustingTestCa();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            fetchOne(client, port, "localhost", protocol);

            current.set(mapping(HttpServerOptions.TLS_1_2));
            X509Certificate resumed = fetchOne(client, port, "localhost", protocol);

            assertEquals(List.of("localhost"), dnsNames(resumed));
            if (TlsContexts.provider() == SslProvider.OPENSSL) {
                assertEquals(1, ticketResumptions(current.get().map("localhost")));
            }
        } finally {
            server.close().sync();
        }
    }

    /** Tickets the context accepted: its sessions resumed from a ticket. */
    private static long ticketResumptions(SslContext context) {
        return ((OpenSslSessionContext) context.sessionContext()).stats().ticketKeyResume();
    }

    /**
     * Handshakes with {@code client} under {@code sniName}, reads the one byte the server writes after its handshake
     * (so TLS 1.3 tickets, which come before it, are taken in), and returns the leaf the server showed.
     */
    private static X509Certificate fetchOne(SSLContext client, int port, String sniName, String protocol)
            throws Exception {
        try (SSLSocket socket = (SSLSocket) client.getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(TIMEOUT_SECONDS * 1000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(sniName)));
            parameters.setProtocols(new String[] {protocol});
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            assertEquals('x', socket.getInputStream().read());
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    @Test
    void certificateWithAnotherCertificatesKeyIsRefusedAtLoad() throws Exception {
        IOException e = assertThrows(IOException.class,
                () -> PemKeyPair.of(TestCerts.localhostPem(), TestCerts.selfSignedKey()));
        assertTrue(e.getMessage().contains(TestCerts.selfSignedKey().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("CN=localhost"), e.getMessage());
    }

    // --- client contexts ---

    @Test
    void verifyingClientRefusesACertificateNoSystemCaSigned() throws Exception {
        TlsContexts clients = TlsContexts.forClients();

        Future<Channel> handshake = clientHandshake(clients.client(false), "localhost");

        assertFalse(handshake.isSuccess());
    }

    @Test
    void insecureClientAcceptsAnyCertificate() throws Exception {
        TlsContexts clients = TlsContexts.forClients();

        Future<Channel> handshake = clientHandshake(clients.client(true), "localhost");

        assertTrue(handshake.isSuccess(), () -> String.valueOf(handshake.cause()));
    }

    @Test
    void clientContextsAreClientSide() throws Exception {
        TlsContexts clients = TlsContexts.forClients();

        assertTrue(clients.client(false).isClient());
        assertTrue(clients.client(true).isClient());
        assertNotSame(clients.client(false), clients.client(true));
    }

    @Test
    @EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"})
    void providerIsBoringSslOnLinuxX86() {
        assertEquals(SslProvider.OPENSSL, TlsContexts.provider());
    }

    // --- helpers ---

    /** localhost first (so it is the default), then api.example.com and *.wild.example.com. */
    private static Mapping<String, SslContext> mapping(int minVersion) throws IOException {
        return TlsContexts.serverMapping(
                List.of(PemKeyPair.fromPath(TestCerts.localhostPem()), PemKeyPair.fromPath(TestCerts.examplePem())),
                minVersion);
    }

    /** Binds an SNI-routed TLS server on port 0, handshakes with a JDK client, and returns the leaf it saw. */
    private static X509Certificate servedCertificate(Mapping<String, SslContext> mapping, String sniName,
            String clientProtocol) throws Exception {
        Channel server = bindServer(new SniHandlerInitializer(mapping));
        try {
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            SSLContext client = SSLContext.getInstance("TLS");
            client.init(null, caTrust().getTrustManagers(), null);
            try (SSLSocket socket = (SSLSocket) client.getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout(TIMEOUT_SECONDS * 1000);
                SSLParameters parameters = socket.getSSLParameters();
                // Connecting by address sends no SNI unless we name one.
                if (sniName != null) {
                    parameters.setServerNames(List.of(new SNIHostName(sniName)));
                }
                if (clientProtocol != null) {
                    parameters.setProtocols(new String[] {clientProtocol});
                }
                socket.setSSLParameters(parameters);
                socket.startHandshake();
                Certificate[] chain = socket.getSession().getPeerCertificates();
                return (X509Certificate) chain[0];
            }
        } finally {
            server.close().sync();
        }
    }

    /** Handshakes a Netty client using {@code context} against a localhost-certificate server. */
    private static Future<Channel> clientHandshake(SslContext context, String peerHost) throws Exception {
        SslContext serverContext = TlsContexts.server(PemKeyPair.fromPath(TestCerts.localhostPem()),
                HttpServerOptions.TLS_1_2);
        Channel server = bindServer(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(serverContext.newHandler(ch.alloc()));
            }
        });
        Channel client = null;
        try {
            InetSocketAddress address = (InetSocketAddress) server.localAddress();
            client = new Bootstrap().group(group).channel(transport.channelClass())
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(context.newHandler(ch.alloc(), peerHost, address.getPort()));
                        }
                    })
                    .connect(address).sync().channel();
            Future<Channel> handshake = client.pipeline().get(SslHandler.class).handshakeFuture();
            assertTrue(handshake.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "handshake did not finish");
            return handshake;
        } finally {
            if (client != null) {
                client.close().sync();
            }
            server.close().sync();
        }
    }

    private static Channel bindServer(ChannelInitializer<Channel> childHandler) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(transport.serverChannelClass())
                .childHandler(childHandler)
                .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
    }

    private static TrustManagerFactory caTrust() throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("test-ca", read(TestCerts.caPem()));
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory;
    }

    private static X509Certificate read(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static List<String> dnsNames(X509Certificate certificate) throws Exception {
        return certificate.getSubjectAlternativeNames().stream()
                .filter(san -> Integer.valueOf(2).equals(san.get(0)))
                .map(san -> (String) san.get(1))
                .toList();
    }

    private static final class SniHandlerInitializer extends ChannelInitializer<Channel> {
        private final Mapping<String, SslContext> mapping;

        SniHandlerInitializer(Mapping<String, SslContext> mapping) {
            this.mapping = mapping;
        }

        @Override
        protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new SniHandler(mapping));
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                    // One byte once the handshake is done, for clients that read (see fetchOne).
                    if (event instanceof SslHandshakeCompletionEvent done && done.isSuccess()) {
                        ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'x'}));
                    }
                    ctx.fireUserEventTriggered(event);
                }
            });
        }
    }
}
