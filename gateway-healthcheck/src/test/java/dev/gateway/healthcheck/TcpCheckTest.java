package dev.gateway.healthcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ApiDefinition.CheckCommand;
import dev.gateway.core.config.HttpServerOptions;
import dev.gateway.core.lb.Target;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.tls.PemKeyPair;
import dev.gateway.core.tls.TlsContexts;
import dev.gateway.core.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TCP checks against real peers on loopback: blocking-socket peers for plain TCP, small Netty servers where TLS
 * or a PROXY header decoder is needed. The checks run on a real event loop of the transport in use.
 */
class TcpCheckTest {

    private static final Duration TIMEOUT = Duration.ofMillis(500);
    private static final Duration GENEROUS = Duration.ofMillis(1000);
    private static final List<CheckCommand> PING = List.of(send("PING\r\n"), expect("+PONG"));

    private final Transport transport = Transport.select();
    private final List<AutoCloseable> peers = new ArrayList<>();
    private EventLoopGroup checks;
    private EventLoopGroup servers;
    private EventLoop loop;

    @BeforeEach
    void setUp() {
        checks = transport.newEventLoopGroup(1, "check-test");
        servers = transport.newEventLoopGroup(1, "check-test-server");
        loop = checks.next();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable peer : peers) {
            peer.close();
        }
        checks.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        servers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void expectPassesWhenTheReplyArrivesInSeveralSegments() throws Exception {
        Peer peer = peer(socket -> {
            socket.setTcpNoDelay(true);
            readUntil(socket, "INFO replication\r\n");
            for (String piece : List.of("$40\r\n# Replication\r\nro", "le:mas", "ter\r\nconnected_slaves:0\r\n")) {
                write(socket, piece);
                // The pause is the behaviour under test: each piece reaches the check as a read of its own.
                Thread.sleep(60);
            }
            drain(socket);
        });

        CheckResult result = await(new TcpCheck(endpoint(peer),
                List.of(send("INFO replication\r\n"), expect("role:master")), GENEROUS).run(loop));

        assertEquals(CheckResult.ok(), result);
    }

    @Test
    void runsTyksDocumentedRedisScript() throws Exception {
        Peer peer = peer(socket -> {
            readUntil(socket, "PING\r\n");
            write(socket, "+PONG\r\n");
            readUntil(socket, "info replication\r\n");
            write(socket, "$30\r\n# Replication\r\nrole:master\r\n");
            readUntil(socket, "QUIT\r\n");
            write(socket, "+OK\r\n");
        });
        List<CheckCommand> script = List.of(send("PING\r\n"), expect("+PONG"), send("info replication\r\n"),
                expect("role:master"), send("QUIT\r\n"), expect("+OK"));

        assertEquals(CheckResult.ok(), await(new TcpCheck(endpoint(peer), script, GENEROUS).run(loop)));
    }

    @Test
    void hungPeerFailsAtTheDeadlineWhileAnotherCheckOnTheLoopCompletes() throws Exception {
        Peer silent = peer(TcpCheckTest::drain);
        Peer answering = peer(TcpCheckTest::answerPing);

        long started = System.nanoTime();
        Future<CheckResult> hung = new TcpCheck(endpoint(silent), PING, TIMEOUT).run(loop);
        Future<CheckResult> prompt = new TcpCheck(endpoint(answering), PING, GENEROUS).run(loop);

        assertEquals(CheckResult.ok(), await(prompt));
        long promptMillis = millisSince(started);
        assertTrue(promptMillis < 250, "the answering host took " + promptMillis + " ms");
        assertFalse(hung.isDone(), "the hung check finished before its deadline");

        assertEquals(CheckResult.failed("timed out waiting for '+PONG'"), await(hung));
        long hungMillis = millisSince(started);
        assertTrue(hungMillis >= 400 && hungMillis < 1500, "the hung check took " + hungMillis + " ms");
    }

    @Test
    void refusedPortFailsFast() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        long started = System.nanoTime();

        CheckResult result = await(new TcpCheck(endpoint(port), PING, GENEROUS).run(loop));

        assertFalse(result.healthy());
        assertTrue(result.reason().startsWith("connect failed: "), result.reason());
        assertTrue(millisSince(started) < 500, "took " + millisSince(started) + " ms");
    }

    @Test
    void sendFailingAfterTheLastExpectLeavesTheHostHealthy() throws Exception {
        Peer peer = peer(socket -> {
            readUntil(socket, "PING\r\n");
            write(socket, "+PONG\r\n");
            // Closed with a reset right after the reply, as a server that treats the rest as garbage would:
            // the sends that follow in the script fail.
            socket.setSoLinger(true, 0);
            socket.close();
        });
        List<CheckCommand> script = List.of(send("PING\r\n"), expect("+PONG"), send("QUIT\r\n"), send("+OK\r\n"));

        assertEquals(CheckResult.ok(), await(new TcpCheck(endpoint(peer), script, GENEROUS).run(loop)));
    }

    @Test
    void peerClosingBeforeTheExpectedTextFails() throws Exception {
        Peer peer = peer(socket -> {
            readUntil(socket, "PING\r\n");
            write(socket, "+PO");
        });

        CheckResult result = await(new TcpCheck(endpoint(peer), PING, GENEROUS).run(loop));

        assertEquals(CheckResult.failed("connection closed before '+PONG' arrived"), result);
    }

    @Test
    void expectThatNeverMatchesFailsNamingTheText() throws Exception {
        Peer peer = peer(socket -> {
            readUntil(socket, "INFO replication\r\n");
            write(socket, "-ERR unknown command\r\n");
            drain(socket);
        });

        CheckResult result = await(new TcpCheck(endpoint(peer),
                List.of(send("INFO replication\r\n"), expect("role:master")), TIMEOUT).run(loop));

        assertEquals(CheckResult.failed("timed out waiting for 'role:master'"), result);
    }

    @Test
    void findsTheTextAfterMoreBytesThanTheBufferKeeps() throws Exception {
        byte[] noise = new byte[TcpCheck.MAX_BUFFERED_BYTES * 3];
        Arrays.fill(noise, (byte) 'x');
        Peer peer = peer(socket -> {
            OutputStream out = socket.getOutputStream();
            out.write(noise);
            // The text straddles what a read of the noise may end with.
            out.write("role:master\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            drain(socket);
        });

        assertEquals(CheckResult.ok(),
                await(new TcpCheck(endpoint(peer), List.of(expect("role:master")), GENEROUS).run(loop)));
    }

    @Test
    void checkWithoutCommandsOnlyConnects() throws Exception {
        Peer peer = peer(TcpCheckTest::drain);

        assertEquals(CheckResult.ok(), await(new TcpCheck(endpoint(peer), List.of(), TIMEOUT).run(loop)));
    }

    /**
     * Tyk's connectivity-only check, as its TCP Proxy page means it: a bare {@code host:port} with no commands, or
     * an empty list, on a tcp or tls API. The check connects in plain TCP (the url names no TLS), and closes.
     */
    @ParameterizedTest
    @CsvSource({"tcp, ''", "tcp, ', \"commands\": []'", "tls, ''", "tls, ', \"commands\": []'"})
    void connectivityOnlyCheckOpensAndClosesAConnectionAndIsHealthy(String protocol, String commands)
            throws Exception {
        CountDownLatch closedByCheck = new CountDownLatch(1);
        Peer peer = peer(socket -> {
            drain(socket);
            closedByCheck.countDown();
        });

        HostCheck check = connectivityCheck(protocol, peer.port(), commands);

        assertEquals(CheckResult.ok(), await(check.run(loop)));
        assertTrue(closedByCheck.await(5, TimeUnit.SECONDS), "the check left its connection open");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "tls"})
    void connectivityOnlyCheckOfAClosedPortIsUnhealthy(String protocol) throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }

        CheckResult result = await(connectivityCheck(protocol, port, ", \"commands\": []").run(loop));

        assertFalse(result.healthy());
        assertTrue(result.reason().startsWith("connect failed: "), result.reason());
    }

    /** The check of a {@code protocol} API whose one check_list entry is {@code {"url": "127.0.0.1:port"...}}. */
    private HostCheck connectivityCheck(String protocol, int port, String moreFields) throws Exception {
        ApiDefinition api = ChecksTest.api("""
                {"api_id": "a", "protocol": "%s", "uptime_tests": {"check_list": [
                  {"url": "127.0.0.1:%d"%s}]}}
                """.formatted(protocol, port, moreFields));
        return Checks.of(api, api.uptimeTests().checkList().get(0), TlsContexts.forClients(),
                transport.channelClass());
    }

    @Test
    void proxyProtocolHeaderComesFirst() throws Exception {
        BlockingQueue<List<String>> seen = new LinkedBlockingQueue<>();
        Peer peer = peer(socket -> {
            String header = readUntil(socket, "\r\n");
            String expected = "PROXY TCP4 127.0.0.1 127.0.0.1 " + socket.getPort() + " " + socket.getLocalPort()
                    + "\r\n";
            seen.add(List.of(expected, header));
            answerPing(socket);
        });

        CheckResult result = await(new TcpCheck(endpoint(peer).withProxyProtocol(true), PING, GENEROUS).run(loop));

        assertEquals(CheckResult.ok(), result);
        List<String> header = seen.poll(1, TimeUnit.SECONDS);
        assertEquals(header.get(0), header.get(1));
    }

    @Test
    void proxyProtocolHeaderOverIpv6IsTcp6() throws Exception {
        InetAddress ipv6Loopback = InetAddress.getByName("::1");
        ServerSocket server;
        try {
            server = new ServerSocket(0, 50, ipv6Loopback);
        } catch (IOException noIpv6) {
            Assumptions.abort("no IPv6 loopback here: " + noIpv6.getMessage());
            return;
        }
        peers.add(server);
        CompletableFuture<List<String>> seen = CompletableFuture.supplyAsync(() -> {
            try (Socket socket = server.accept()) {
                String header = readUntil(socket, "\r\n");
                return List.of("PROXY TCP6 ::1 ::1 " + socket.getPort() + " " + socket.getLocalPort() + "\r\n", header);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Checks.Endpoint endpoint = Checks.Endpoint.plain(Target.parse("tcp://[::1]:" + server.getLocalPort()),
                transport.channelClass()).withProxyProtocol(true);

        assertEquals(CheckResult.ok(), await(new TcpCheck(endpoint, List.of(), GENEROUS).run(loop)));
        List<String> header = seen.get(1, TimeUnit.SECONDS);
        assertEquals(header.get(0), header.get(1));
    }

    @Test
    void tlsCheckWithVerificationOffPassesThroughChecksOf() throws Exception {
        int port = tlsServer(TestCerts.selfSignedPem(), TestCerts.selfSignedKey(), false, new LinkedBlockingQueue<>());
        ApiDefinition api = ChecksTest.api("""
                {"api_id": "redis", "protocol": "tls",
                 "proxy": {"transport": {"ssl_insecure_skip_verify": true}},
                 "uptime_tests": {"check_list": [{"url": "127.0.0.1:%d", "protocol": "tls", "timeout": 1000,
                   "commands": [{"name": "send", "message": "PING\\r\\n"}, {"name": "expect", "message": "+PONG"}]}]}}
                """.formatted(port));

        HostCheck check = Checks.of(api, api.uptimeTests().checkList().get(0), TlsContexts.forClients(),
                transport.channelClass());

        assertEquals(CheckResult.ok(), await(check.run(loop)));
    }

    @Test
    void tlsCheckVerifiesTheHostAgainstATrustedCa() throws Exception {
        int port = tlsServer(TestCerts.localhostPem(), TestCerts.localhostKey(), false, new LinkedBlockingQueue<>());
        SslContext trustingTestCa = SslContextBuilder.forClient()
                .sslProvider(TlsContexts.provider())
                .trustManager(TestCerts.caPem().toFile())
                .endpointIdentificationAlgorithm("HTTPS")
                .build();
        Checks.Endpoint endpoint = Checks.Endpoint.plain(Target.parse("tls://localhost:" + port),
                transport.channelClass()).withTls(trustingTestCa);

        assertEquals(CheckResult.ok(), await(new TcpCheck(endpoint, PING, GENEROUS).run(loop)));
    }

    @Test
    void tlsCheckFailsWhenTheCertificateIsNotTrusted() throws Exception {
        int port = tlsServer(TestCerts.selfSignedPem(), TestCerts.selfSignedKey(), false, new LinkedBlockingQueue<>());
        Checks.Endpoint endpoint = endpoint(port).withTls(TlsContexts.forClients().client(false));

        CheckResult result = await(new TcpCheck(endpoint, PING, GENEROUS).run(loop));

        assertFalse(result.healthy());
        assertTrue(result.reason().startsWith("TLS handshake failed: "), result.reason());
    }

    @Test
    void proxyHeaderPrecedesTheTlsHandshake() throws Exception {
        BlockingQueue<List<String>> headers = new LinkedBlockingQueue<>();
        int port = tlsServer(TestCerts.localhostPem(), TestCerts.localhostKey(), true, headers);
        Checks.Endpoint endpoint = endpoint(port).withTls(TlsContexts.forClients().client(true))
                .withProxyProtocol(true);

        assertEquals(CheckResult.ok(), await(new TcpCheck(endpoint, PING, GENEROUS).run(loop)));
        List<String> header = headers.poll(1, TimeUnit.SECONDS);
        assertEquals(header.get(0), header.get(1));
    }

    @Test
    void unknownCommandIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TcpCheck(endpoint(1), List.of(new CheckCommand("wait", "1s")), TIMEOUT));
        assertTrue(e.getMessage().contains("'wait'"), e.getMessage());
    }

    // --- peers -------------------------------------------------------------------------------------------------

    /** A blocking-socket peer on an ephemeral loopback port; each connection runs the script on its own thread. */
    static final class Peer implements AutoCloseable {

        /** What the peer does with one accepted connection; the socket is closed when it returns. */
        interface Script {
            void run(Socket socket) throws IOException, InterruptedException;
        }

        private final ServerSocket server;
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();

        Peer(Script script) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(() -> acceptAll(script), "peer-" + server.getLocalPort());
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void acceptAll(Script script) {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    open.add(socket);
                    Thread handler = new Thread(() -> serve(socket, script), "peer-connection");
                    handler.setDaemon(true);
                    handler.start();
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private void serve(Socket socket, Script script) {
            try (socket) {
                script.run(socket);
            } catch (IOException | InterruptedException expected) {
                // The check closed its end, or the test is over.
            } finally {
                open.remove(socket);
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket socket : open) {
                socket.close();
            }
        }
    }

    private Peer peer(Peer.Script script) throws IOException {
        Peer peer = new Peer(script);
        peers.add(peer);
        return peer;
    }

    /**
     * A Netty TLS server that answers {@code PING\r\n} with {@code +PONG\r\n}; with {@code proxyHeader}, it reads
     * a PROXY header before TLS and puts {@code [expected, received]} header lines into {@code headers}.
     */
    private int tlsServer(Path cert, Path key, boolean proxyHeader,
            BlockingQueue<List<String>> headers) throws Exception {
        SslContext context = TlsContexts.server(PemKeyPair.of(cert, key), HttpServerOptions.TLS_1_2);
        Channel server = new ServerBootstrap()
                .group(servers)
                .channel(transport.serverChannelClass())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel child) {
                        if (proxyHeader) {
                            child.pipeline().addLast(new HAProxyMessageDecoder());
                        }
                        child.pipeline().addLast(context.newHandler(child.alloc()), new PongHandler(headers));
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
        peers.add(() -> server.close().syncUninterruptibly());
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Answers each {@code PING\r\n} with {@code +PONG\r\n}; records a PROXY header when one comes. */
    private static final class PongHandler extends ChannelInboundHandlerAdapter {
        private final BlockingQueue<List<String>> headers;
        private final StringBuilder received = new StringBuilder();

        PongHandler(BlockingQueue<List<String>> headers) {
            this.headers = headers;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HAProxyMessage header) {
                    InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
                    InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
                    headers.add(List.of(
                            "TCP4 127.0.0.1 127.0.0.1 " + client.getPort() + " " + local.getPort(),
                            header.proxiedProtocol() + " " + header.sourceAddress() + " "
                                    + header.destinationAddress() + " " + header.sourcePort() + " "
                                    + header.destinationPort()));
                } else if (msg instanceof ByteBuf bytes) {
                    received.append(bytes.toString(StandardCharsets.US_ASCII));
                    if (received.indexOf("PING\r\n") >= 0) {
                        received.setLength(0);
                        ctx.writeAndFlush(Unpooled.copiedBuffer("+PONG\r\n", StandardCharsets.US_ASCII));
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    private Checks.Endpoint endpoint(Peer peer) {
        return endpoint(peer.port());
    }

    private Checks.Endpoint endpoint(int port) {
        return Checks.Endpoint.plain(Target.parse("tcp://127.0.0.1:" + port), transport.channelClass());
    }

    static CheckCommand send(String message) {
        return new CheckCommand("send", message);
    }

    static CheckCommand expect(String message) {
        return new CheckCommand("expect", message);
    }

    static CheckResult await(Future<CheckResult> outcome) throws Exception {
        return outcome.get(5, TimeUnit.SECONDS);
    }

    static long millisSince(long startedNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }

    private static void answerPing(Socket socket) throws IOException {
        readUntil(socket, "PING\r\n");
        write(socket, "+PONG\r\n");
        drain(socket);
    }

    /** Reads until the bytes read end with {@code end}, or the stream ends; returns what was read. */
    static String readUntil(Socket socket, String end) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        while (!read.toString(StandardCharsets.US_ASCII).endsWith(end)) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            read.write(b);
        }
        return read.toString(StandardCharsets.US_ASCII);
    }

    static void write(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads and drops everything until the check closes its end. */
    static void drain(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[4096];
        while (in.read(buffer) >= 0) {
            // dropped
        }
    }
}
