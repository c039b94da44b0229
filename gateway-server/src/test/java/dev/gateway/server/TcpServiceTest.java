package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.core.testing.RedisServer;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.testing.TestTls;
import dev.gateway.core.transport.Transport;
import dev.gateway.http.support.Clients;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/** {@code tcp} APIs through the whole gateway: a port of their own, relayed to the next upstream. */
class TcpServiceTest extends GatewayFixture {

    /** A TCP upstream on port 0: it sends its name on connect, then echoes every byte. */
    private static final class NamedEcho implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> accepted = new ArrayList<>();

        NamedEcho(String name) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread thread = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        synchronized (accepted) {
                            accepted.add(socket);
                        }
                        Thread echo = new Thread(() -> echo(socket, name), "echo-" + name);
                        echo.setDaemon(true);
                        echo.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "accept-" + name);
            thread.setDaemon(true);
            thread.start();
        }

        private static void echo(Socket socket, String name) {
            try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
                in.transferTo(out);
            } catch (IOException e) {
                // the test closed it
            }
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (accepted) {
                for (Socket socket : accepted) {
                    socket.close();
                }
            }
        }
    }

    private static ObjectNode tcpApi(String id, int listenPort, String target) {
        ObjectNode api = ConfFolder.JSON.createObjectNode();
        api.put("api_id", id);
        api.put("name", "tcp " + id);
        api.put("protocol", "tcp");
        api.put("listen_port", listenPort);
        api.putObject("proxy").put("target_url", target);
        return api;
    }

    private ObjectNode confAllowingTcp(int... ports) {
        ObjectNode conf = ConfFolder.tykConf();
        var list = conf.putObject("ports_whitelist").putObject("tcp").putArray("ports");
        for (int port : ports) {
            list.add(port);
        }
        return conf;
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder text = new StringBuilder();
        for (int c; (c = in.read()) != -1 && c != '\n'; ) {
            text.append((char) c);
        }
        return text.toString();
    }

    @Test
    void bytesGoThroughToABareHostPortTargetAndBack() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        int port = Ports.freePort();
        folder.writeConf(confAllowingTcp(port)).writeApi("echo.json", tcpApi("echo", port, "127.0.0.1:" + echo.port()));
        Gateway gateway = startGateway(folder.conf);

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(port))) {
            client.setSoTimeout(10_000);
            assertEquals("echo", line(client.getInputStream()));
            client.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("ping", line(client.getInputStream()));
        }
        // The report comes once both ends have finished: the client's end reached the echo, which then closed.
        log.awaitLogged(Level.INFO, "api=echo", "closed: DONE", "bytes in");
    }

    @Test
    void bulkBytesGoThroughIntactAndAreSplicedWithNativeEpoll() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("bulk"));
        int port = Ports.freePort();
        folder.writeConf(confAllowingTcp(port)).writeApi("bulk.json", tcpApi("bulk", port, "127.0.0.1:" + echo.port()));
        Gateway gateway = startGateway(folder.conf);
        byte[] payload = new byte[64 * 1024 * 1024];
        new Random(7).nextBytes(payload);

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(port))) {
            client.setSoTimeout(30_000);
            Thread sender = new Thread(() -> {
                try {
                    client.getOutputStream().write(payload);
                    client.shutdownOutput();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, "bulk-sender");
            sender.start();

            assertEquals("bulk", line(client.getInputStream()));
            byte[] echoed = client.getInputStream().readAllBytes();
            sender.join(30_000);
            assertEquals(payload.length, echoed.length);
            assertTrue(Arrays.equals(payload, echoed), "the echoed bytes differ from the ones sent");
        }
        String spliced = Transport.select().name().equals("epoll") ? ", spliced" : "bytes out";
        log.awaitLogged(Level.INFO, "api=bulk", "closed: DONE", payload.length + " bytes in",
                (payload.length + 5) + " bytes out", spliced);
    }

    @Test
    void reloadWithoutTheApiClosesItsListenerWhileOpenRelaysKeepFlowing() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        int port = Ports.freePort();
        folder.writeConf(confAllowingTcp(port)).writeApi("echo.json", tcpApi("echo", port, "127.0.0.1:" + echo.port()));
        Gateway gateway = startGateway(folder.conf);
        int bound = gateway.boundPort(port);

        try (Socket open = new Socket("127.0.0.1", bound)) {
            open.setSoTimeout(10_000);
            assertEquals("echo", line(open.getInputStream()));

            folder.removeApi("echo.json");
            gateway.reload();

            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", bound).close(),
                    "the port still accepts connections after its last API went away");
            open.getOutputStream().write("still here\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("still here", line(open.getInputStream()));
        }
        log.awaitLogged(Level.INFO, "api=echo", "closed: DONE", "11 bytes in");
    }

    @Test
    void realRedisServerAnswersARealClientThroughTheGateway() throws Exception {
        RedisServer redis = closer.later(RedisServer.start(dir));
        int redisPort = redis.port();
        int port = Ports.freePort();
        folder.writeConf(confAllowingTcp(port))
                .writeApi("redis.json", tcpApi("redis", port, "127.0.0.1:" + redisPort));
        Gateway gateway = startGateway(folder.conf);

        RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", gateway.boundPort(port)));
        closer.later(client::shutdown);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redisCommands = connection.sync();
            assertEquals("PONG", redisCommands.ping());
            assertEquals("OK", redisCommands.set("gateway", "relayed"));
            assertEquals("relayed", redisCommands.get("gateway"));
        }
    }

    // ---- TLS termination with SNI ------------------------------------------------------------------------------

    private static ObjectNode tlsApi(String id, int listenPort, String domain, String certificate, String target) {
        ObjectNode api = tcpApi(id, listenPort, target);
        api.put("protocol", "tls").put("domain", domain);
        api.putArray("certificate").add(certificate);
        return api;
    }

    private ObjectNode confAllowingTls(int port) {
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("ports_whitelist").putObject("tls").putArray("ports").add(port);
        return conf;
    }

    /**
     * A TLS client that trusts the test CA, sends {@code sniName} and checks the certificate against it, as a
     * browser would; the handshake is done on return.
     */
    private static SSLSocket tlsClient(int port, String sniName) throws IOException {
        Socket raw = new Socket("127.0.0.1", port);
        SSLSocket socket = (SSLSocket) TestTls.trustingTestCa().getSocketFactory().createSocket(raw, sniName, port, true);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(sniName)));
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    @Test
    void tlsServicesShareAPortByExactWildcardAndDefaultSni() throws Exception {
        NamedEcho exact = closer.later(new NamedEcho("exact"));
        NamedEcho wildcard = closer.later(new NamedEcho("wildcard"));
        NamedEcho fallback = closer.later(new NamedEcho("default"));
        int port = Ports.freePort();
        folder.copy(TestCerts.examplePem(), "certs/example.pem")
                .copy(TestCerts.localhostPem(), "certs/localhost.pem")
                .copy(TestCerts.localhostKey(), "certs/localhost.key")
                .writeConf(confAllowingTls(port))
                .writeApi("exact.json", tlsApi("exact", port, "api.example.com", "certs/example.pem",
                        "127.0.0.1:" + exact.port()))
                .writeApi("wild.json", tlsApi("wild", port, "*.wild.example.com", "certs/example.pem",
                        "127.0.0.1:" + wildcard.port()))
                .writeApi("default.json", tlsApi("default", port, "", "certs/localhost.pem",
                        "127.0.0.1:" + fallback.port()));
        Gateway gateway = startGateway(folder.conf);
        int bound = gateway.boundPort(port);

        for (String[] expected : new String[][] {{"api.example.com", "exact"}, {"eu.wild.example.com", "wildcard"},
                {"localhost", "default"}}) {
            try (SSLSocket client = tlsClient(bound, expected[0])) {
                assertEquals(expected[1], line(client.getInputStream()), "SNI " + expected[0]);
                client.getOutputStream().write("over tls\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("over tls", line(client.getInputStream()));
            }
        }
    }

    @Test
    void unknownSniWithoutADefaultServiceIsClosedAndLogged() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        int port = Ports.freePort();
        folder.copy(TestCerts.examplePem(), "certs/example.pem")
                .writeConf(confAllowingTls(port))
                .writeApi("only.json", tlsApi("only", port, "api.example.com", "certs/example.pem",
                        "127.0.0.1:" + echo.port()));
        Gateway gateway = startGateway(folder.conf);

        assertThrows(IOException.class, () -> {
            try (SSLSocket client = tlsClient(gateway.boundPort(port), "other.test")) {
                assertEquals(-1, client.getInputStream().read());
                throw new IOException("closed after the handshake");
            }
        });
        log.awaitLogged(Level.INFO, "no API for SNI 'other.test' on port");
    }

    @Test
    void plainBytesOnATlsPortAreClosedAndLogged() throws Exception {
        int port = Ports.freePort();
        folder.copy(TestCerts.examplePem(), "certs/example.pem")
                .writeConf(confAllowingTls(port))
                .writeApi("only.json", tlsApi("only", port, "", "certs/example.pem", "127.0.0.1:1"));
        Gateway gateway = startGateway(folder.conf);

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(port))) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = client.getInputStream();
            while (in.read() != -1) {
                // a TLS alert, then the end
            }
        }
        log.awaitLogged(Level.INFO, "TLS handshake failed on port");
    }

    // ---- PROXY protocol ----------------------------------------------------------------------------------------

    private static final byte[] PROXY_V1 = "PROXY TCP4 203.0.113.7 127.0.0.1 51000 6380\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    /** A PROXY v2 header for TCP over IPv4 from 198.51.100.9:42000. */
    private static byte[] proxyV2() {
        return new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
                0x21, 0x11, 0x00, 0x0C,
                (byte) 198, 51, 100, 9, 127, 0, 0, 1,
                (byte) (42000 >> 8), (byte) (42000 & 0xff), 0x18, (byte) 0xEC};
    }

    private Gateway proxyProtocolEcho(NamedEcho echo, int port) throws Exception {
        ObjectNode api = tcpApi("pp", port, "127.0.0.1:" + echo.port()).put("enable_proxy_protocol", true);
        folder.writeConf(confAllowingTcp(port)).writeApi("pp.json", api);
        return startGateway(folder.conf);
    }

    @Test
    void proxyProtocolV1And2NameTheClientInTheLog() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        int port = Ports.freePort();
        Gateway gateway = proxyProtocolEcho(echo, port);

        for (byte[] header : List.of(PROXY_V1, proxyV2())) {
            try (Socket client = new Socket("127.0.0.1", gateway.boundPort(port))) {
                client.setSoTimeout(10_000);
                client.getOutputStream().write(header);
                client.getOutputStream().write("hi\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("echo", line(client.getInputStream()));
                assertEquals("hi", line(client.getInputStream()), "the bytes after the header pass untouched");
            }
        }
        log.awaitLogged(Level.INFO, "api=pp client=/203.0.113.7:51000", "closed:");
        log.awaitLogged(Level.INFO, "api=pp client=/198.51.100.9:42000", "closed:");
    }

    @Test
    void malformedProxyHeaderIsClosedAndLogged() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        int port = Ports.freePort();
        Gateway gateway = proxyProtocolEcho(echo, port);

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(port))) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, client.getInputStream().read());
        }
        log.awaitLogged(Level.INFO, "malformed PROXY protocol header");
    }

    @Test
    void proxyHeaderIsReadBeforeTlsSoSniStillRoutes() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        int port = Ports.freePort();
        ObjectNode api = tlsApi("sni", port, "api.example.com", "certs/example.pem", "127.0.0.1:" + echo.port())
                .put("enable_proxy_protocol", true);
        folder.copy(TestCerts.examplePem(), "certs/example.pem").writeConf(confAllowingTls(port))
                .writeApi("sni.json", api);
        Gateway gateway = startGateway(folder.conf);

        try (Socket raw = new Socket("127.0.0.1", gateway.boundPort(port))) {
            raw.getOutputStream().write(PROXY_V1);
            SSLSocket tls = (SSLSocket) TestTls.trustingTestCa().getSocketFactory()
                    .createSocket(raw, "api.example.com", raw.getPort(), true);
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName("api.example.com")));
            tls.setSSLParameters(parameters);
            tls.setSoTimeout(10_000);
            assertEquals("echo", line(tls.getInputStream()));
            tls.close();
        }
        log.awaitLogged(Level.INFO, "api=sni client=/203.0.113.7:51000");
    }

    @Test
    void httpApiWithProxyProtocolForwardsTheHeadersClient() throws Exception {
        int port = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("ports_whitelist").putObject("http").putArray("ports").add(port);
        ObjectNode api = ConfFolder.api("web", "/web/", upstream.url("/")).put("listen_port", port)
                .put("enable_proxy_protocol", true);
        folder.writeConf(conf).writeApi("web.json", api);
        Gateway gateway = startGateway(folder.conf);

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(port))) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write(PROXY_V1);
            client.getOutputStream().write("GET /web/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
        }
        assertEquals("203.0.113.7", upstream.takeRequest().header("X-Forwarded-For"));
    }

    @Test
    void sendProxyProtocolTellsTheUpstreamTheRealClient() throws Exception {
        ServerSocket v1Upstream = closer.later(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        ServerSocket v2Upstream = closer.later(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        int v1Port = Ports.freePort();
        int v2Port = Ports.freePort();
        ObjectNode v1 = tcpApi("send-v1", v1Port, "127.0.0.1:" + v1Upstream.getLocalPort());
        ((ObjectNode) v1.get("proxy")).put("send_proxy_protocol", "v1");
        ObjectNode v2 = tcpApi("send-v2", v2Port, "127.0.0.1:" + v2Upstream.getLocalPort());
        ((ObjectNode) v2.get("proxy")).put("send_proxy_protocol", "v2");
        folder.writeConf(confAllowingTcp(v1Port, v2Port)).writeApi("v1.json", v1).writeApi("v2.json", v2);
        Gateway gateway = startGateway(folder.conf);

        // The clients only connect: the header must reach the upstream before, and without, any client byte.
        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(v1Port));
                Socket server = v1Upstream.accept()) {
            server.setSoTimeout(10_000);
            assertEquals("PROXY TCP4 127.0.0.1 127.0.0.1 " + client.getLocalPort() + " " + gateway.boundPort(v1Port)
                    + "\r", line(server.getInputStream()));
        }
        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(v2Port));
                Socket server = v2Upstream.accept()) {
            server.setSoTimeout(10_000);
            InputStream in = server.getInputStream();
            assertArrayEquals(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
                    0x21, 0x11, 0x00, 0x0C}, in.readNBytes(16), "v2 signature, PROXY over TCP4, 12 address bytes");
            byte[] addresses = in.readNBytes(12);
            assertEquals(client.getLocalPort(), ((addresses[8] & 0xff) << 8) | (addresses[9] & 0xff));
        }
    }

    @Test
    void sendProxyProtocolToATlsUpstreamGoesInTheClearBeforeTheHandshake() throws Exception {
        ServerSocket tlsUpstream = closer.later(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        int port = Ports.freePort();
        ObjectNode api = tcpApi("send-tls", port, "tls://127.0.0.1:" + tlsUpstream.getLocalPort());
        ((ObjectNode) api.get("proxy")).put("send_proxy_protocol", "v1");
        folder.writeConf(confAllowingTcp(port)).writeApi("send-tls.json", api);
        Gateway gateway = startGateway(folder.conf);

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(port));
                Socket server = tlsUpstream.accept()) {
            server.setSoTimeout(10_000);
            assertEquals("PROXY TCP4 127.0.0.1 127.0.0.1 " + client.getLocalPort() + " " + gateway.boundPort(port)
                    + "\r", line(server.getInputStream()));
            assertEquals(0x16, server.getInputStream().read(), "a TLS handshake record (the ClientHello) follows");
        }
    }

    // ---- SNI passthrough ---------------------------------------------------------------------------------------

    /** A TLS echo upstream on Netty: it terminates TLS with the localhost certificate and answers its name. */
    private static final class TlsEcho implements AutoCloseable {
        private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        private final Channel server;

        TlsEcho(String name) throws Exception {
            this(name, false);
        }

        /** With {@code requireClientCertificate}, a client must present the self-signed test certificate. */
        TlsEcho(String name, boolean requireClientCertificate) throws Exception {
            SslContextBuilder builder = SslContextBuilder.forServer(TestCerts.localhostPem().toFile(),
                    TestCerts.localhostKey().toFile());
            if (requireClientCertificate) {
                builder.clientAuth(ClientAuth.REQUIRE).trustManager(TestCerts.selfSignedPem().toFile());
            }
            SslContext tls = builder.build();
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()), new ChannelInboundHandlerAdapter() {
                                @Override
                                public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                                    if (event instanceof SslHandshakeCompletionEvent done && done.isSuccess()) {
                                        ctx.writeAndFlush(Unpooled.copiedBuffer(name + "\n", StandardCharsets.US_ASCII));
                                    }
                                }

                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ctx.writeAndFlush(msg);
                                }
                            });
                        }
                    })
                    .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
        }

        int port() {
            return ((InetSocketAddress) server.localAddress()).getPort();
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    // ---- Tyk's simplest TLS definition, from docs/tcp.md ---------------------------------------------------------

    /**
     * Tyk's TLS example as docs/tcp.md prints it, verbatim but for its listen port and upstream host, which become a
     * free port and a local TLS upstream, and {@code <cert-id>} when {@code certificate} is given.
     */
    private static String tlsExampleFromTheDocs(int listenPort, int upstreamPort, String certificate) {
        String text = DocsExamples.byFile("tcp.md", "tls.json").text();
        assertTrue(text.contains("30001") && text.contains("upstream:9191") && text.contains("<cert-id>"), text);
        String local = text.replace("30001", String.valueOf(listenPort))
                .replace("upstream:9191", "127.0.0.1:" + upstreamPort);
        return certificate == null ? local : local.replace("<cert-id>", certificate);
    }

    /** Allows {@code port} for tls, and skips verifying upstreams: the example's tls:// upstream has a test cert. */
    private ObjectNode confForTheTlsExample(int port) {
        return confAllowingTls(port).put("proxy_ssl_insecure_skip_verify", true);
    }

    @Test
    void tyksSimplestTlsDefinitionFromTheDocsRelaysWithARealCertificate() throws Exception {
        TlsEcho upstream = closer.later(new TlsEcho("tls-upstream"));
        int port = Ports.freePort();
        folder.copy(TestCerts.localhostPem(), "certs/server.pem").copy(TestCerts.localhostKey(), "certs/server.key")
                .writeConf(confForTheTlsExample(port))
                .writeApi("tls.json", tlsExampleFromTheDocs(port, upstream.port(), "certs/server.pem"));
        Gateway gateway = startGateway(folder.conf);

        try (SSLSocket client = tlsClient(gateway.boundPort(port), "localhost")) {
            assertEquals("tls-upstream", line(client.getInputStream()), "TLS to the gateway, TLS to the upstream");
            client.getOutputStream().write("through both\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("through both", line(client.getInputStream()));
        }
        log.assertLogged(Level.WARN, "tls.json", "/api_id", "'tls'");
    }

    @Test
    void tyksSimplestTlsDefinitionWithItsCertIdIsALoadErrorAndTheGatewayKeepsRunning() throws Exception {
        TlsEcho upstream = closer.later(new TlsEcho("tls-upstream"));
        int port = Ports.freePort();
        folder.writeConf(confForTheTlsExample(port))
                .writeApi("tls.json", tlsExampleFromTheDocs(port, upstream.port(), null));

        Gateway gateway = startGateway(folder.conf);

        log.assertLogged(Level.ERROR, "tls.json at /certificate/0", "'<cert-id>' is not a readable PEM file",
                "expected a path to a PEM file", "(x.pem and x.key) or in the same file");
        assertEquals(List.of(), gateway.snapshot().apis());
        assertTrue(Net.refuses(port), "port " + port + " serves an API whose certificate is unusable");
        assertEquals(200, Clients.get(client, url(gateway.gatewayPort(), "/hello")).statusCode());
    }

    @Test
    void tcpApisWithDomainsRouteBySniWithoutTerminatingTls() throws Exception {
        TlsEcho localhost = closer.later(new TlsEcho("localhost-upstream"));
        TlsEcho other = closer.later(new TlsEcho("other-upstream"));
        int port = Ports.freePort();
        // No certificate anywhere in the gateway's configuration: TLS is between the client and the upstream.
        folder.writeConf(confAllowingTcp(port))
                .writeApi("a.json", tcpApi("a", port, "127.0.0.1:" + localhost.port()).put("domain", "localhost"))
                .writeApi("b.json", tcpApi("b", port, "127.0.0.1:" + other.port()).put("domain", "*.example.com"));
        Gateway gateway = startGateway(folder.conf);

        try (SSLSocket client = tlsClient(gateway.boundPort(port), "localhost")) {
            assertEquals("localhost-upstream", line(client.getInputStream()));
            client.getOutputStream().write("end to end\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("end to end", line(client.getInputStream()));
        }
        // The wildcard's upstream serves the localhost certificate, which the client cannot accept for this name:
        // proof that the handshake is the upstream's, passed through untouched.
        assertThrows(IOException.class, () -> tlsClient(gateway.boundPort(port), "api.example.com").close());
        log.awaitLogged(Level.INFO, "api=b", "closed:");
        assertThrows(IOException.class, () -> tlsClient(gateway.boundPort(port), "unknown.test").close());
        log.awaitLogged(Level.INFO, "no API for SNI 'unknown.test' on port");
    }

    // ---- upstream TLS and public key pinning --------------------------------------------------------------------

    /** The pin of the localhost test certificate: base64 SHA-256 of its SubjectPublicKeyInfo. */
    private static String localhostPin() throws Exception {
        try (InputStream pem = Files.newInputStream(TestCerts.localhostPem())) {
            Certificate certificate =
                    CertificateFactory.getInstance("X.509").generateCertificate(pem);
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(certificate.getPublicKey().getEncoded());
            return Base64.getEncoder().encodeToString(digest);
        }
    }

    private ObjectNode pinnedTlsUpstreamApi(String id, int port, TlsEcho upstream, String pins) {
        ObjectNode api = tcpApi(id, port, "tls://127.0.0.1:" + upstream.port());
        ((ObjectNode) api.get("proxy")).putObject("transport").put("ssl_insecure_skip_verify", true);
        api.putObject("pinned_public_keys").put("*", pins);
        return api;
    }

    @Test
    void tlsUpstreamWhoseKeyMatchesAPinIsRelayed() throws Exception {
        TlsEcho upstream = closer.later(new TlsEcho("pinned"));
        int port = Ports.freePort();
        folder.writeConf(confAllowingTcp(port))
                .writeApi("pin.json", pinnedTlsUpstreamApi("pin", port, upstream, "AAAA, " + localhostPin()));
        Gateway gateway = startGateway(folder.conf);

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(port))) {
            client.setSoTimeout(10_000);
            assertEquals("pinned", line(client.getInputStream()), "plain to the gateway, TLS to the upstream");
            client.getOutputStream().write("secret\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("secret", line(client.getInputStream()));
        }
    }

    @Test
    void tlsUpstreamWhoseKeyMatchesNoPinIsRefused() throws Exception {
        TlsEcho upstream = closer.later(new TlsEcho("impostor"));
        int port = Ports.freePort();
        folder.writeConf(confAllowingTcp(port))
                .writeApi("pin.json", pinnedTlsUpstreamApi("pin", port, upstream,
                        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
        Gateway gateway = startGateway(folder.conf);

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(port))) {
            client.setSoTimeout(10_000);
            assertEquals(-1, client.getInputStream().read(), "nothing of the upstream reaches the client");
        }
        log.awaitLogged(Level.WARN, "api=pin", "matches no pinned key");
    }

    @Test
    void upstreamCertificatesArePresentedToUpstreamsThatRequireThem() throws Exception {
        TlsEcho upstream = closer.later(new TlsEcho("mutual", true));
        int with = Ports.freePort();
        int without = Ports.freePort();
        ObjectNode presenting = tcpApi("presenting", with, "tls://127.0.0.1:" + upstream.port());
        ((ObjectNode) presenting.get("proxy")).putObject("transport").put("ssl_insecure_skip_verify", true);
        presenting.putObject("upstream_certificates").put("*", "certs/client.pem");
        ObjectNode bare = tcpApi("bare", without, "tls://127.0.0.1:" + upstream.port());
        ((ObjectNode) bare.get("proxy")).putObject("transport").put("ssl_insecure_skip_verify", true);
        folder.copy(TestCerts.selfSignedPem(), "certs/client.pem")
                .copy(TestCerts.selfSignedKey(), "certs/client.key")
                .writeConf(confAllowingTcp(with, without))
                .writeApi("presenting.json", presenting)
                .writeApi("bare.json", bare);
        Gateway gateway = startGateway(folder.conf);

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(with))) {
            client.setSoTimeout(10_000);
            assertEquals("mutual", line(client.getInputStream()));
        }
        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(without))) {
            client.setSoTimeout(10_000);
            assertEquals(-1, client.getInputStream().read(), "the upstream refuses a gateway without a certificate");
        }
        // Under TLS 1.3 the upstream refuses the missing certificate after the gateway's side of the handshake
        // is done, so the relay has started and ends with the upstream's alert.
        log.awaitLogged(Level.INFO, "api=bare", "closed: ERROR");
    }

    // ---- mutual TLS towards clients ----------------------------------------------------------------------------

    /** A TLS client trusting the test CA that presents {@code certPem}/{@code keyPem} (PKCS#8), or nothing. */
    private static SSLSocket mutualTlsClient(int port, Path certPem, Path keyPem) throws Exception {
        SSLSocket socket = (SSLSocket) TestTls.presentingToTestCa(certPem, keyPem).getSocketFactory()
                .createSocket("127.0.0.1", port);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName("api.example.com")));
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    @Test
    void mutualTlsAcceptsOnlyListedClientCertificates() throws Exception {
        NamedEcho echo = closer.later(new NamedEcho("echo"));
        int port = Ports.freePort();
        ObjectNode api = tlsApi("mtls", port, "", "certs/example.pem", "127.0.0.1:" + echo.port())
                .put("use_mutual_tls_auth", true);
        api.putArray("client_certificates").add("certs/client.pem");
        folder.copy(TestCerts.examplePem(), "certs/example.pem")
                .copy(TestCerts.selfSignedPem(), "certs/client.pem")
                .writeConf(confAllowingTls(port))
                .writeApi("mtls.json", api);
        Gateway gateway = startGateway(folder.conf);
        int bound = gateway.boundPort(port);

        try (SSLSocket listed = mutualTlsClient(bound, TestCerts.selfSignedPem(), TestCerts.selfSignedKey())) {
            assertEquals("echo", line(listed.getInputStream()));
        }
        for (Path[] refused : new Path[][] {{null, null}, {TestCerts.localhostPem(), TestCerts.localhostKey()}}) {
            // Without a certificate, or with one the API does not list (though issued by a known CA).
            assertThrows(IOException.class, () -> {
                try (SSLSocket client = mutualTlsClient(bound, refused[0], refused[1])) {
                    if (client.getInputStream().read() == -1) {
                        throw new IOException("closed after the handshake");
                    }
                }
            });
        }
        synchronized (echo.accepted) {
            assertEquals(1, echo.accepted.size(), "only the listed client reached the upstream");
        }
    }

    @Test
    void loadBalancingRotatesOverTcpTargets() throws Exception {
        NamedEcho first = closer.later(new NamedEcho("first"));
        NamedEcho second = closer.later(new NamedEcho("second"));
        int port = Ports.freePort();
        ObjectNode api = tcpApi("pair", port, "tcp://unused:1");
        ((ObjectNode) api.get("proxy")).put("enable_load_balancing", true).putArray("target_list")
                .add("tcp://127.0.0.1:" + first.port()).add("127.0.0.1:" + second.port());
        folder.writeConf(confAllowingTcp(port)).writeApi("pair.json", api);
        Gateway gateway = startGateway(folder.conf);

        List<String> names = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            try (Socket client = new Socket("127.0.0.1", gateway.boundPort(port))) {
                client.setSoTimeout(10_000);
                names.add(line(client.getInputStream()));
            }
        }

        assertEquals(List.of("first", "second", "first", "second"), names);
    }

    @Test
    void upstreamThatNeverAnswersTheConnectIsGivenUpAfterProxyDefaultTimeout() throws Exception {
        // A listener whose accept queue is full drops further SYNs: connecting to it hangs, as to a host that is
        // down, until the connect timeout.
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket queued1 = new Socket();
                Socket queued2 = new Socket()) {
            queued1.connect(silent.getLocalSocketAddress(), 2_000);
            queued2.connect(silent.getLocalSocketAddress(), 2_000);
            int port = Ports.freePort();
            folder.writeConf(confAllowingTcp(port).put("proxy_default_timeout", 1))
                    .writeApi("silent.json", tcpApi("silent", port, "127.0.0.1:" + silent.getLocalPort()));
            Gateway gateway = startGateway(folder.conf);

            try (Socket client = new Socket("127.0.0.1", gateway.boundPort(port))) {
                client.setSoTimeout(10_000);
                long start = System.nanoTime();
                assertEquals(-1, client.getInputStream().read());
                long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(waitedMillis >= 800 && waitedMillis < 5_000, "closed after " + waitedMillis + " ms");
            }
            log.awaitLogged(Level.WARN, "api=silent", "connect failed", "timed out");
        }
    }

    @Test
    void refusedUpstreamClosesTheClientPromptly() throws Exception {
        int dead = Ports.freePort();
        int port = Ports.freePort();
        folder.writeConf(confAllowingTcp(port)).writeApi("dead.json", tcpApi("dead", port, "127.0.0.1:" + dead));
        Gateway gateway = startGateway(folder.conf);

        try (Socket client = new Socket("127.0.0.1", gateway.boundPort(port))) {
            client.setSoTimeout(10_000);
            long start = System.nanoTime();
            assertEquals(-1, client.getInputStream().read());
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "the client waited for a dead upstream");
        }
        log.awaitLogged(Level.WARN, "api=dead", "connect failed");
    }

    @Test
    void tcpApiWithoutListenPortIsNotServedAndNamed() throws Exception {
        ObjectNode api = tcpApi("portless", 0, "127.0.0.1:1");
        api.remove("listen_port");
        folder.writeConf(ConfFolder.tykConf()).writeApi("portless.json", api);

        Gateway gateway = startGateway(folder.conf);

        log.assertLogged(Level.ERROR, "portless.json", "/listen_port", "needs its own listen_port");
        assertEquals(0, gateway.snapshot().apis().size());
    }

    @Test
    void tcpApiOnTheGatewaysOwnPortIsRefused() throws Exception {
        int own = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.put("listen_port", own);
        folder.writeConf(conf).writeApi("clash.json", tcpApi("clash", own, "127.0.0.1:1"));

        Gateway gateway = startGateway(folder.conf);

        log.assertLogged(Level.ERROR, "clash.json", "cannot serve tcp", "the gateway's own port");
        assertEquals(0, gateway.snapshot().apis().size());
    }

    @Test
    void secondTcpApiOnAPortIsRefusedNamingTheFirst() throws Exception {
        int port = Ports.freePort();
        folder.writeConf(confAllowingTcp(port))
                .writeApi("a.json", tcpApi("a", port, "127.0.0.1:1"))
                .writeApi("b.json", tcpApi("b", port, "127.0.0.1:2"));

        startGateway(folder.conf);

        log.assertLogged(Level.ERROR, "b.json", "already serves API a");
    }

    @Test
    void portOutsideTheTcpWhitelistIsRefused() throws Exception {
        int port = Ports.freePort();
        folder.writeConf(ConfFolder.tykConf()).writeApi("out.json", tcpApi("out", port, "127.0.0.1:1"));

        startGateway(folder.conf);

        log.assertLogged(Level.ERROR, "out.json", "not allowed for tcp by ports_whitelist");
    }
}
