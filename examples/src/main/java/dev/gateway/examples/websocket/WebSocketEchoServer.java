package dev.gateway.examples.websocket;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A WebSocket echo server (Netty's WebSocket codec), for the demo, the tests and the benchmarks. Every data frame
 * comes back as it was sent, fragments included; pings are answered. Beyond echo:
 *
 * <ul>
 *   <li>Any path is served. {@code /private} refuses the handshake with 401 unless
 *       {@code Authorization: Bearer letmein} is sent.
 *   <li>{@code /greet} sends a text frame {@code welcome} right after its 101.
 *   <li>Subprotocols {@code chat} and {@code superchat} are offered; extensions are allowed.
 *   <li>The text {@code close:CODE} makes the server close with that code (reason {@code bye}); {@code ping}
 *       makes it send a ping, whose pong it records.
 *   <li>Close codes it receives, pongs and handshake requests are recorded for tests.
 * </ul>
 *
 * <p>Usage: {@code java -cp examples.jar dev.gateway.examples.websocket.WebSocketEchoServer [port]} (default
 * {@value #DEFAULT_PORT}).
 */
public final class WebSocketEchoServer implements AutoCloseable {

    public static final int DEFAULT_PORT = 9003;
    /** Largest frame accepted: a 16 MiB message in one frame, and room to spare. */
    public static final int MAX_FRAME = 32 * 1024 * 1024;

    private final EventLoopGroup group;
    private final Channel listener;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final BlockingQueue<Integer> closeCodes = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> pongs = new LinkedBlockingQueue<>();
    private final BlockingQueue<FullHttpRequest> handshakes = new LinkedBlockingQueue<>();
    private final AtomicInteger closed = new AtomicInteger();

    private WebSocketEchoServer(EventLoopGroup group, SslContext tls, String host, int port)
            throws InterruptedException {
        this.group = group;
        this.listener = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.closeFuture().addListener(f -> closed.incrementAndGet());
                        ChannelPipeline p = ch.pipeline();
                        if (tls != null) {
                            p.addLast(tls.newHandler(ch.alloc()));
                        }
                        p.addLast(new HttpServerCodec());
                        p.addLast(new HttpObjectAggregator(64 * 1024));
                        p.addLast(new Gate());
                        p.addLast(new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                .websocketPath("/")
                                .checkStartsWith(true)
                                .subprotocols("chat,superchat")
                                .allowExtensions(true)
                                .handleCloseFrames(false)
                                .dropPongFrames(false)
                                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                                        .maxFramePayloadLength(MAX_FRAME)
                                        .allowExtensions(true)
                                        .build())
                                .build()));
                        p.addLast(new Echo());
                    }
                })
                .bind(new InetSocketAddress(host, port)).sync().channel();
    }

    /** An echo server on {@code 127.0.0.1}, port 0 for any free one; {@code tls} makes it a wss:// server. */
    public static WebSocketEchoServer start(int port, SslContext tls) throws InterruptedException {
        return new WebSocketEchoServer(new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()), tls,
                "127.0.0.1", port);
    }

    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_PORT;
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        WebSocketEchoServer server = new WebSocketEchoServer(
                new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory()), null, "127.0.0.1", port);
        System.out.println("WebSocket echo on ws://127.0.0.1:" + server.port() + "/");
        server.listener.closeFuture().sync();
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** Close codes received from clients, in order. */
    public BlockingQueue<Integer> closeCodes() {
        return closeCodes;
    }

    /** Payloads of pongs received, as text. */
    public BlockingQueue<String> pongs() {
        return pongs;
    }

    /** Handshake requests as received (headers only; the body is released). */
    public BlockingQueue<FullHttpRequest> handshakes() {
        return handshakes;
    }

    /** Connections closed so far. */
    public int closedConnections() {
        return closed.get();
    }

    /** Connections open now. */
    public int openConnections() {
        return connections.size();
    }

    /** Closes every connection without a close frame, as a crashed server would. */
    public void dropConnections() {
        connections.close().awaitUninterruptibly();
    }

    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        connections.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** Records each handshake and refuses {@code /private} without the right token. */
    private final class Gate extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof FullHttpRequest request) {
                handshakes.add(request.replace(Unpooled.EMPTY_BUFFER));
                if (request.uri().startsWith("/private")
                        && !"Bearer letmein".equals(request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
                    request.release();
                    DefaultFullHttpResponse refusal = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                            HttpResponseStatus.UNAUTHORIZED,
                            Unpooled.copiedBuffer("{\"error\": \"no token\"}", StandardCharsets.UTF_8));
                    refusal.headers().set(HttpHeaderNames.CONTENT_LENGTH, refusal.content().readableBytes());
                    refusal.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                    ctx.writeAndFlush(refusal);
                    return;
                }
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** Echoes data frames; acts on the control texts. */
    private final class Echo extends ChannelInboundHandlerAdapter {
        /** This server sent a close: the client's close answers it, and ends the connection. */
        private boolean closing;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete complete
                    && complete.requestUri().startsWith("/greet")) {
                ctx.writeAndFlush(new TextWebSocketFrame("welcome"));
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof WebSocketFrame frame)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (frame instanceof CloseWebSocketFrame close) {
                closeCodes.add(close.statusCode());
                if (closing) {
                    close.release();
                    ctx.close();
                } else {
                    ctx.writeAndFlush(close).addListener(ChannelFutureListener.CLOSE);
                }
            } else if (frame instanceof PongWebSocketFrame pong) {
                pongs.add(pong.content().toString(StandardCharsets.UTF_8));
                pong.release();
            } else if (frame instanceof TextWebSocketFrame text && text.isFinalFragment()
                    && text.text().startsWith("close:")) {
                int code = Integer.parseInt(text.text().substring(6));
                text.release();
                closing = true;
                ctx.writeAndFlush(new CloseWebSocketFrame(code, "bye"));
            } else if (frame instanceof TextWebSocketFrame text && text.isFinalFragment() && text.text().equals("ping")) {
                text.release();
                ctx.writeAndFlush(new PingWebSocketFrame(Unpooled.copiedBuffer("are you there", StandardCharsets.UTF_8)));
            } else {
                ctx.writeAndFlush(frame);
            }
        }
    }
}
