package dev.gateway.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gateway.core.testing.ConfFolder;
import dev.gateway.core.testing.Ports;
import dev.gateway.http.support.Clients;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Log lines about an exchange name the client a PROXY protocol header named, not the load balancer that sent it,
 * over HTTP/1.1 and on an HTTP/2 stream (whose channel is a child of the connection that read the header).
 */
class ClientAddressLogTest extends GatewayFixture {

    /** The client as the load balancer saw it; an address from TEST-NET-3, which no test socket ever has. */
    private static final String CLIENT_IP = "203.0.113.7";

    private static final byte[] PROXY_V1 = ("PROXY TCP4 " + CLIENT_IP + " 127.0.0.1 51000 80\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    /** A gateway with one API on a port of its own that expects PROXY headers, proxying to a port nobody holds. */
    private int gatewayBehindBalancer(boolean http2) throws Exception {
        int port = Ports.freePort();
        ObjectNode conf = ConfFolder.tykConf();
        conf.putObject("ports_whitelist").putObject("http").putArray("ports").add(port);
        conf.putObject("http_server_options").put("enable_http2", http2);
        String deadUpstream = "http://127.0.0.1:" + Ports.freePort();
        folder.writeConf(conf).writeApi("dead.json", ConfFolder.api("dead", "/dead/", deadUpstream)
                .put("listen_port", port).put("enable_proxy_protocol", true));
        return startGateway(folder.conf).boundPort(port);
    }

    @Test
    void upstreamFailureOverHttp1NamesTheClientFromTheProxyHeader() throws Exception {
        int port = gatewayBehindBalancer(false);

        try (Socket balancer = new Socket("127.0.0.1", port)) {
            balancer.setSoTimeout((int) Clients.REQUEST_TIMEOUT.toMillis());
            balancer.getOutputStream().write(PROXY_V1);
            balancer.getOutputStream().write("GET /dead/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(balancer.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 502"), response);
        }

        assertNamesTheClient(log.awaitLogged(Level.WARN, "api=dead", "upstream="));
    }

    @Test
    void upstreamFailureOnAnHttp2StreamNamesTheClientFromTheProxyHeader() throws Exception {
        int port = gatewayBehindBalancer(true);

        try (Socket balancer = new Socket("127.0.0.1", port)) {
            balancer.setSoTimeout((int) Clients.REQUEST_TIMEOUT.toMillis());
            balancer.getOutputStream().write(PROXY_V1);
            balancer.getOutputStream().write(h2cGet("/dead/x"));
            assertNamesTheClient(log.awaitLogged(Level.WARN, "api=dead", "upstream="));
        }
    }

    private static void assertNamesTheClient(String line) {
        assertTrue(line.contains("client=/" + CLIENT_IP + ":51000"), line);
        assertFalse(line.contains("client=/127.0.0.1"), line);
    }

    /**
     * The bytes an h2c prior-knowledge client sends for one GET: preface, SETTINGS and a HEADERS frame ending the
     * stream, encoded by Netty's own HTTP/2 client codec so the test need not hand-write HPACK.
     */
    private static byte[] h2cGet(String path) {
        Http2FrameCodec codec = Http2FrameCodecBuilder.forClient().build();
        EmbeddedChannel channel = new EmbeddedChannel(codec);
        try {
            ChannelHandlerContext ctx = channel.pipeline().context(codec);
            Http2Headers headers = new DefaultHttp2Headers().method("GET").scheme("http").authority("a").path(path);
            codec.encoder().writeHeaders(ctx, 1, headers, 0, true, channel.newPromise());
            channel.flush();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (ByteBuf chunk; (chunk = channel.readOutbound()) != null; ) {
                try {
                    chunk.readBytes(bytes, chunk.readableBytes());
                } catch (IOException e) {
                    throw new AssertionError(e);
                } finally {
                    chunk.release();
                }
            }
            return bytes.toByteArray();
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
