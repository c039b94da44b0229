package dev.gateway.ssews;

import dev.gateway.auth.AuthFilters;
import dev.gateway.core.keys.KeyHashing;
import dev.gateway.core.keys.MemoryKeyStore;
import dev.gateway.core.keys.Session;
import dev.gateway.http.RequestFilters;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.examples.websocket.WebSocketEchoServer;
import dev.gateway.http.support.ProxyUnderTest;
import dev.gateway.http.support.TykApi;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSocket over HTTP/2 (RFC 8441): a Netty HTTP/2 client opens a stream with extended CONNECT on the gateway's
 * h2c port, and the gateway carries it to the HTTP/1.1 WebSocket echo server as an upgrade.
 */
class ExtendedConnectTest {

    private static final long WAIT_SECONDS = 10;

    @TempDir
    Path dir;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private WebSocketEchoServer echo;
    private ProxyUnderTest gateway;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
        if (echo != null) {
            echo.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    @Test
    void extendedConnectStreamIsAWebSocketToAnHttp1Upstream() throws Exception {
        echo = WebSocketEchoServer.start(0, null);
        gateway = ProxyUnderTest.builder(dir)
                .conf(conf -> conf.http("enable_websockets", true).http("enable_http2", true))
                .switches(WebSockets::from)
                .api(TykApi.keyless("ws", "/ws/", "ws://127.0.0.1:" + echo.port()))
                .start();
        CompletableFuture<Http2Settings> serverSettings = new CompletableFuture<>();
        Channel connection = connect(gateway.port(), serverSettings);
        assertEquals(Boolean.TRUE, serverSettings.get(WAIT_SECONDS, TimeUnit.SECONDS).connectProtocolEnabled(),
                "SETTINGS_ENABLE_CONNECT_PROTOCOL");

        StreamRecorder stream = new StreamRecorder();
        Http2StreamChannel channel = new Http2StreamChannelBootstrap(connection).handler(stream).open()
                .get(WAIT_SECONDS, TimeUnit.SECONDS);
        Http2Headers connect = new DefaultHttp2Headers()
                .method("CONNECT")
                .scheme("http")
                .path("/ws/chat")
                .authority("127.0.0.1:" + gateway.port())
                .set(Http2Headers.PseudoHeaderName.PROTOCOL.value(), "websocket")
                .set("sec-websocket-version", "13")
                .set("sec-websocket-protocol", "chat");
        channel.writeAndFlush(new DefaultHttp2HeadersFrame(connect)).sync();

        Http2Headers answer = stream.headers.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(answer, "no answer to the extended CONNECT");
        assertEquals("200", answer.status().toString());
        assertEquals("chat", answer.get("sec-websocket-protocol").toString());
        FullHttpRequest handshake = echo.handshakes().poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(handshake);
        assertEquals("GET", handshake.method().name());
        assertEquals("/chat", handshake.uri());
        assertEquals("websocket", handshake.headers().get("upgrade"));
        assertNotNull(handshake.headers().get("sec-websocket-key"));

        for (String text : new String[] {"over h2", "and again"}) {
            channel.writeAndFlush(new DefaultHttp2DataFrame(maskedText(text))).sync();
            assertEquals(text, stream.nextText());
        }

        // A close frame from the client comes back from the upstream, which then closes; the stream ends.
        channel.writeAndFlush(new DefaultHttp2DataFrame(maskedClose(1000))).sync();
        assertEquals(1000, echo.closeCodes().poll(WAIT_SECONDS, TimeUnit.SECONDS));
        assertTrue(stream.ended.await(WAIT_SECONDS, TimeUnit.SECONDS) , "the stream did not end");
        connection.close().sync();
    }

    @Test
    void anExtendedConnectIsAuthenticatedLikeAnyRequest() throws Exception {
        echo = WebSocketEchoServer.start(0, null);
        MemoryKeyStore keys = new MemoryKeyStore();
        keys.put(KeyHashing.redisKey("ws-key", false), Session.parse(("{\"access_rights\": {\"ws\": {\"api_id\":"
                + " \"ws\", \"versions\": [\"Default\"]}}}").getBytes(StandardCharsets.UTF_8)));
        AuthFilters auth = new AuthFilters(keys, false, false);
        gateway = ProxyUnderTest.builder(dir)
                .conf(conf -> conf.http("enable_websockets", true).http("enable_http2", true))
                .switches(WebSockets::from)
                .api(TykApi.keyless("ws", "/ws/", "ws://127.0.0.1:" + echo.port()).put("use_keyless", false))
                .filters(RequestFilters.of(auth::of, auth::responseFilters))
                .start();
        Channel connection = connect(gateway.port(), new CompletableFuture<>());

        StreamRecorder refused = new StreamRecorder();
        openWebSocket(connection, refused, null);
        Http2Headers answer = refused.headers.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(answer, "no answer to the extended CONNECT");
        assertEquals("401", answer.status().toString());
        assertTrue(refused.ended.await(WAIT_SECONDS, TimeUnit.SECONDS), "the refused stream did not end");

        StreamRecorder stream = new StreamRecorder();
        Http2StreamChannel channel = openWebSocket(connection, stream, "ws-key");
        assertEquals("200", stream.headers.poll(WAIT_SECONDS, TimeUnit.SECONDS).status().toString());
        channel.writeAndFlush(new DefaultHttp2DataFrame(maskedText("with a key"))).sync();
        assertEquals("with a key", stream.nextText());
        connection.close().sync();
    }

    /** Opens a stream with an extended CONNECT for a WebSocket at /ws/chat, with {@code key} if not null. */
    private Http2StreamChannel openWebSocket(Channel connection, StreamRecorder recorder, String key)
            throws Exception {
        Http2StreamChannel channel = new Http2StreamChannelBootstrap(connection).handler(recorder).open()
                .get(WAIT_SECONDS, TimeUnit.SECONDS);
        Http2Headers connect = new DefaultHttp2Headers().method("CONNECT").scheme("http").path("/ws/chat")
                .authority("127.0.0.1:" + gateway.port())
                .set(Http2Headers.PseudoHeaderName.PROTOCOL.value(), "websocket")
                .set("sec-websocket-version", "13");
        if (key != null) {
            connect.set("authorization", key);
        }
        channel.writeAndFlush(new DefaultHttp2HeadersFrame(connect)).sync();
        return channel;
    }

    private Channel connect(int port, CompletableFuture<Http2Settings> serverSettings) throws InterruptedException {
        return new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build());
                        ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof Http2SettingsFrame settings) {
                                    serverSettings.complete(settings.settings());
                                }
                                ReferenceCountUtil.release(msg);
                            }
                        });
                    }
                })
                .connect("127.0.0.1", port).sync().channel();
    }

    /** A client's text frame: masked, small. */
    private static ByteBuf maskedText(String text) {
        return masked(0x81, text.getBytes(StandardCharsets.UTF_8));
    }

    private static ByteBuf maskedClose(int code) {
        return masked(0x88, new byte[] {(byte) (code >> 8), (byte) code});
    }

    private static ByteBuf masked(int first, byte[] payload) {
        byte[] mask = {0x5a, 0x21, 0x7e, 0x03};
        ByteBuf frame = Unpooled.buffer();
        frame.writeByte(first).writeByte(0x80 | payload.length).writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.writeByte(payload[i] ^ mask[i & 3]);
        }
        return frame;
    }

    /** Records a stream's response headers and gathers its DATA into server frames (small, unmasked). */
    private static final class StreamRecorder extends ChannelInboundHandlerAdapter {
        final BlockingQueue<Http2Headers> headers = new LinkedBlockingQueue<>();
        final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
        private final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
        private final ByteBuf pending = Unpooled.buffer();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2HeadersFrame frame) {
                headers.add(frame.headers());
                if (frame.isEndStream()) {
                    ended.countDown();
                }
            } else if (msg instanceof Http2DataFrame data) {
                pending.writeBytes(data.content());
                if (data.isEndStream()) {
                    ended.countDown();
                }
                while (pending.readableBytes() >= 2 && pending.readableBytes() >= 2 + (pending.getByte(
                        pending.readerIndex() + 1) & 0x7f)) {
                    int opcode = pending.readByte() & 0x0f;
                    int length = pending.readByte() & 0x7f;
                    String payload = pending.readCharSequence(length, StandardCharsets.UTF_8).toString();
                    if (opcode == 1) {
                        texts.add(payload);
                    }
                }
                pending.discardReadBytes();
            } else if (msg instanceof Http2ResetFrame) {
                ended.countDown();
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ended.countDown();
            pending.release();
        }

        String nextText() throws InterruptedException {
            String text = texts.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            if (text == null) {
                throw new AssertionError("no text frame within " + WAIT_SECONDS + "s");
            }
            return text;
        }
    }
}
