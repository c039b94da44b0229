package dev.gateway.healthcheck;

import static dev.gateway.healthcheck.TcpCheckTest.await;
import static dev.gateway.healthcheck.TcpCheckTest.millisSince;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.HttpServerOptions;
import dev.gateway.core.lb.Target;
import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.tls.PemKeyPair;
import dev.gateway.core.tls.TlsContexts;
import dev.gateway.core.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP checks against real servers on loopback: the JDK's HTTP server for plain HTTP, a small Netty server for
 * HTTPS, and a listening socket that never answers.
 */
class HttpCheckTest {

    private static final Duration TIMEOUT = Duration.ofMillis(500);
    private static final Duration GENEROUS = Duration.ofMillis(1000);

    private final Transport transport = Transport.select();
    private final List<AutoCloseable> servers = new ArrayList<>();
    private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private EventLoopGroup checks;
    private EventLoopGroup serverLoops;
    private EventLoop loop;

    /** What a server received. */
    private record Request(String method, String uri, Map<String, List<String>> headers, String body) {
        String header(String name) {
            List<String> values = headers.get(name);
            return values == null ? null : String.join(",", values);
        }
    }

    @BeforeEach
    void setUp() {
        checks = transport.newEventLoopGroup(1, "check-test");
        serverLoops = transport.newEventLoopGroup(1, "check-test-server");
        loop = checks.next();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable server : servers) {
            server.close();
        }
        checks.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        serverLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void status200IsHealthy() throws Exception {
        int port = jdkServer(200, "ok");

        assertEquals(CheckResult.ok(), await(get(port, "/health").run(loop)));
        assertEquals("GET", requests.poll(1, TimeUnit.SECONDS).method());
    }

    @Test
    void status500IsUnhealthy() throws Exception {
        int port = jdkServer(500, "broken");

        assertEquals(CheckResult.failed("status 500"), await(get(port, "/health").run(loop)));
    }

    @Test
    void otherSuccessStatusesAreUnhealthyAsInTyk() throws Exception {
        int port = jdkServer(204, "");

        assertEquals(CheckResult.failed("status 204"), await(get(port, "/health").run(loop)));
    }

    @Test
    void serverThatNeverAnswersTimesOut() throws Exception {
        // Listening but never accepting: the kernel completes the connection, nothing ever reads the request.
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        servers.add(silent);
        long started = System.nanoTime();

        CheckResult result = await(new HttpCheck(endpoint(silent.getLocalPort(), "/health"), "GET", Map.of(),
                new byte[0], TIMEOUT).run(loop));

        assertEquals(CheckResult.failed("timed out after 500 ms"), result);
        long millis = millisSince(started);
        assertTrue(millis >= 400 && millis < 1500, "took " + millis + " ms");
    }

    @Test
    void refusedPortFailsToConnect() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }

        CheckResult result = await(get(port, "/").run(loop));

        assertFalse(result.healthy());
        assertTrue(result.reason().startsWith("connect failed: "), result.reason());
    }

    @Test
    void methodHeadersAndDecodedBodyReachTheServer() throws Exception {
        int port = jdkServer(200, "ok");
        ApiDefinition api = ChecksTest.api("""
                {"api_id": "orders", "uptime_tests": {"check_list": [{
                  "url": "http://127.0.0.1:%d/health?deep=1", "method": "post",
                  "headers": {"X-Check": "uptime", "Authorization": "Bearer abc"},
                  "body": "eyJwaW5nIjogdHJ1ZX0=", "timeout": "1s"}]}}""".formatted(port));
        HostCheck check = Checks.of(api, api.uptimeTests().checkList().get(0), TlsContexts.forClients(),
                transport.channelClass());

        assertEquals(CheckResult.ok(), await(check.run(loop)));

        Request request = requests.poll(1, TimeUnit.SECONDS);
        assertEquals("POST", request.method());
        assertEquals("/health?deep=1", request.uri());
        assertEquals("uptime", request.header("X-check"));
        assertEquals("Bearer abc", request.header("Authorization"));
        assertEquals("{\"ping\": true}", request.body());
        assertEquals("127.0.0.1:" + port, request.header("Host"));
        assertEquals("14", request.header("Content-length"));
        assertEquals("close", request.header("Connection"));
    }

    @Test
    void bodyThatIsNotBase64IsSentAsWritten() throws Exception {
        int port = jdkServer(200, "ok");
        ApiDefinition api = ChecksTest.api("""
                {"api_id": "orders", "uptime_tests": {"check_list": [{
                  "url": "http://127.0.0.1:%d/health", "method": "PUT", "body": "{\\"ping\\": 1}"}]}}"""
                .formatted(port));
        HostCheck check = Checks.of(api, api.uptimeTests().checkList().get(0), TlsContexts.forClients(),
                transport.channelClass());

        assertEquals(CheckResult.ok(), await(check.run(loop)));
        assertEquals("{\"ping\": 1}", requests.poll(1, TimeUnit.SECONDS).body());
    }

    @Test
    void interimResponseIsSkipped() throws Exception {
        TcpCheckTest.Peer peer = peer(socket -> {
            TcpCheckTest.readUntil(socket, "\r\n\r\n");
            TcpCheckTest.write(socket, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            TcpCheckTest.drain(socket);
        });

        assertEquals(CheckResult.ok(), await(get(peer.port(), "/health").run(loop)));
    }

    @Test
    void proxyProtocolHeaderPrecedesTheRequest() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        TcpCheckTest.Peer peer = peer(socket -> {
            received.add(TcpCheckTest.readUntil(socket, "\r\n\r\n"));
            TcpCheckTest.write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            TcpCheckTest.drain(socket);
        });
        Checks.Endpoint endpoint = endpoint(peer.port(), "/health").withProxyProtocol(true);

        assertEquals(CheckResult.ok(),
                await(new HttpCheck(endpoint, "GET", Map.of(), new byte[0], GENEROUS).run(loop)));
        String request = received.poll(1, TimeUnit.SECONDS);
        assertTrue(request.startsWith("PROXY TCP4 127.0.0.1 127.0.0.1 "), request);
        assertTrue(request.contains("\r\nGET /health HTTP/1.1\r\n"), request);
    }

    @Test
    void largeResponseBodyIsNotNeeded() throws Exception {
        int port = jdkServer(200, "x".repeat(256 * 1024));

        assertEquals(CheckResult.ok(), await(get(port, "/big").run(loop)));
    }

    @Test
    void httpsCheckPassesWithVerificationOff() throws Exception {
        int port = nettyHttpsServer();
        ApiDefinition api = ChecksTest.api("""
                {"api_id": "secure", "proxy": {"transport": {"ssl_insecure_skip_verify": true}},
                 "uptime_tests": {"check_list": [{"url": "https://127.0.0.1:%d/health", "timeout": 1000}]}}"""
                .formatted(port));
        HostCheck check = Checks.of(api, api.uptimeTests().checkList().get(0), TlsContexts.forClients(),
                transport.channelClass());

        assertEquals(CheckResult.ok(), await(check.run(loop)));
        Request request = requests.poll(1, TimeUnit.SECONDS);
        assertEquals("/health", request.uri());
    }

    @Test
    void httpsCheckFailsWhenTheCertificateIsNotTrusted() throws Exception {
        int port = nettyHttpsServer();
        Checks.Endpoint endpoint = endpoint(port, "/health").withTls(TlsContexts.forClients().client(false));

        CheckResult result = await(new HttpCheck(endpoint, null, Map.of(), null, GENEROUS).run(loop));

        assertFalse(result.healthy());
        assertTrue(result.reason().startsWith("TLS handshake failed: "), result.reason());
    }

    // --- servers ------------------------------------------------------------------------------------------------

    /** A JDK HTTP server answering every request with {@code status} and {@code body}, recording the request. */
    private int jdkServer(int status, String body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> answer(exchange, status, body));
        server.start();
        servers.add(() -> server.stop(0));
        return server.getAddress().getPort();
    }

    private void answer(HttpExchange exchange, int status, String body) throws IOException {
        try (exchange) {
            String received = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                    Map.copyOf(exchange.getRequestHeaders()), received));
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                } catch (IOException closedByTheCheck) {
                    // The check reads the status and closes; the rest of a large body has nowhere to go.
                }
            }
        }
    }

    /** A Netty HTTPS server (the self-signed test certificate) answering 200 to every request. */
    private int nettyHttpsServer() throws Exception {
        SslContext context = TlsContexts.server(PemKeyPair.of(TestCerts.selfSignedPem(), TestCerts.selfSignedKey()),
                HttpServerOptions.TLS_1_2);
        Channel server = new ServerBootstrap()
                .group(serverLoops)
                .channel(transport.serverChannelClass())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel child) {
                        child.pipeline().addLast(context.newHandler(child.alloc()), new HttpServerCodec(),
                                new OkHandler());
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
        servers.add(() -> server.close().syncUninterruptibly());
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Answers each request with an empty 200 and closes. */
    private final class OkHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest request) {
                    requests.add(new Request(request.method().name(), request.uri(), Map.of(), ""));
                    DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                            HttpResponseStatus.OK);
                    HttpUtil.setContentLength(response, 0);
                    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
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

    private TcpCheckTest.Peer peer(TcpCheckTest.Peer.Script script) throws IOException {
        TcpCheckTest.Peer peer = new TcpCheckTest.Peer(script);
        servers.add(peer);
        return peer;
    }

    // --- helpers ------------------------------------------------------------------------------------------------

    private Checks.Endpoint endpoint(int port, String path) {
        return Checks.Endpoint.plain(Target.parse("http://127.0.0.1:" + port + path), transport.channelClass());
    }

    private HttpCheck get(int port, String path) {
        return new HttpCheck(endpoint(port, path), "GET", Map.of(), new byte[0], GENEROUS);
    }
}
