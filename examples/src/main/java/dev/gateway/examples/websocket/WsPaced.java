package dev.gateway.examples.websocket;

import dev.gateway.examples.CommandLine;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One WebSocket that stays open and keeps moving: a binary message every {@code --interval-ms}, each echo checked,
 * then a close handshake. {@code bench/reload-under-load.sh} runs it through the gateway to the
 * {@link WebSocketEchoServer} while the gateway reloads, to show that an open WebSocket is left alone.
 *
 * <pre>
 * java -cp examples.jar dev.gateway.examples.websocket.WsPaced [--count 400] [--interval-ms 50] ws://HOST:PORT/PATH
 * </pre>
 *
 * <p>Prints {@code open} on stdout once the handshake is done, then one line at the end:
 *
 * <pre>
 * websocket messages N echoed E seconds S max_rtt_ms R close CODE
 * </pre>
 *
 * <p>After the last echo the client sends a close frame (1000) and waits for the server's; {@code CODE} is the code
 * the server's close frame carried (-1: none came). The exit status is 0 only when all {@code --count} messages came
 * back whole and in order and the server answered the close with 1000; otherwise 1 with the problem on stderr, 2 on
 * a usage error.
 */
public final class WsPaced {

    /** Bytes per message: its sequence number and room to tell a truncated echo from a whole one. */
    static final int SIZE = 16;
    /** A connect, a handshake or an echo that takes longer than this fails the run. */
    static final int TIMEOUT_MILLIS = 10_000;

    private static final String USAGE = "usage: java -cp examples.jar " + WsPaced.class.getName()
            + " [--count 400] [--interval-ms 50] ws://HOST:PORT/PATH";
    private static final CommandLine CLI = new CommandLine(USAGE);

    private WsPaced() {
    }

    public static void main(String[] args) throws InterruptedException {
        int count = 400;
        int intervalMillis = 50;
        URI uri = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--count" -> count = CLI.atLeast(CLI.valueOf(args, ++i, "--count"), 1);
                case "--interval-ms" -> intervalMillis = CLI.atLeast(CLI.valueOf(args, ++i, "--interval-ms"), 1);
                default -> {
                    uri = URI.create(args[i]);
                    if (!"ws".equals(uri.getScheme()) || uri.getPort() < 0) {
                        CLI.fail("not ws://HOST:PORT/PATH: " + args[i]);
                    }
                }
            }
        }
        if (uri == null) {
            CLI.fail("no URL");
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Paced paced = new Paced(count, intervalMillis);
        try {
            WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                    .webSocketUri(uri)
                    .handshakeTimeoutMillis(TIMEOUT_MILLIS)
                    // The server's close frame comes to Paced, which reads its code and then closes.
                    .handleCloseFrames(false)
                    .build();
            new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, TIMEOUT_MILLIS)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                                    new WebSocketClientProtocolHandler(config), paced);
                        }
                    })
                    .connect(uri.getHost(), uri.getPort())
                    .addListener(f -> {
                        if (!f.isSuccess()) {
                            paced.fail("connect failed: " + f.cause());
                        }
                    });
            String problem;
            long wait = (long) count * intervalMillis + 3L * TIMEOUT_MILLIS;
            try {
                problem = paced.done.get(wait, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                problem = "did not end within " + wait + " ms";
            }
            System.out.println(paced.line());
            System.out.flush();
            if (problem != null) {
                System.err.println("WebSocket: " + problem);
                System.exit(1);
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
        System.exit(0);
    }

    /** Sends on a timer, checks each echo, closes; all on the connection's event loop. */
    private static final class Paced extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final int count;
        private final int intervalMillis;
        /** Completes with null on a clean end, or with the problem. */
        final CompletableFuture<String> done = new CompletableFuture<>();
        private final long start = System.nanoTime();
        private ScheduledFuture<?> ticks;
        private int sent;
        private int echoed;
        private long sentAt;
        private long maxRttNanos;
        private volatile String line;
        private int closeCode = -1;

        Paced(int count, int intervalMillis) {
            super(WebSocketFrame.class);
            this.count = count;
            this.intervalMillis = intervalMillis;
        }

        String line() {
            String l = line;
            return l != null ? l : summary();
        }

        private String summary() {
            return String.format(Locale.ROOT, "websocket messages %d echoed %d seconds %.3f max_rtt_ms %.1f close %d",
                    count, echoed, (System.nanoTime() - start) / 1e9, maxRttNanos / 1e6, closeCode);
        }

        /** Ends the run with a problem, unless it has already ended. */
        void fail(String problem) {
            if (done.isDone()) {
                return;
            }
            line = summary();
            done.complete(problem);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                System.out.println("open");
                System.out.flush();
                ticks = ctx.executor().scheduleAtFixedRate(() -> send(ctx), 0, intervalMillis, TimeUnit.MILLISECONDS);
            } else if (event == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                fail("handshake timed out after " + TIMEOUT_MILLIS + " ms");
                ctx.close();
            }
            ctx.fireUserEventTriggered(event);
        }

        private void send(ChannelHandlerContext ctx) {
            if (sent > echoed) {
                // The previous echo is not back yet: one message in flight at a time, so a stall shows as a long
                // round trip rather than as a queue. An echo later than the timeout fails the run.
                if (System.nanoTime() - sentAt > TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS)) {
                    fail("no echo of message " + echoed + " within " + TIMEOUT_MILLIS + " ms");
                    ctx.close();
                }
                return;
            }
            if (sent == count) {
                ticks.cancel(false);
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE));
                ctx.executor().schedule(() -> {
                    if (ctx.channel().isActive()) {
                        fail("no close frame from the server within " + TIMEOUT_MILLIS + " ms");
                        ctx.close();
                    }
                }, TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                return;
            }
            ByteBuf payload = ctx.alloc().buffer(SIZE);
            payload.writeLong(sent).writeZero(SIZE - Long.BYTES);
            sentAt = System.nanoTime();
            sent++;
            ctx.writeAndFlush(new BinaryWebSocketFrame(payload));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof CloseWebSocketFrame close) {
                closeCode = close.statusCode();
                if (sent < count || echoed < count) {
                    fail("the server closed with " + closeCode + " after " + echoed + " echoes");
                } else if (closeCode != WebSocketCloseStatus.NORMAL_CLOSURE.code()) {
                    fail("the server answered the close with " + closeCode);
                } else {
                    line = summary();
                    done.complete(null);
                }
                ctx.close();
                return;
            }
            ByteBuf content = frame.content();
            if (!(frame instanceof BinaryWebSocketFrame) || !frame.isFinalFragment() || content.readableBytes() != SIZE
                    || content.getLong(content.readerIndex()) != echoed) {
                fail("expected the echo of message " + echoed + ", got " + frame);
                ctx.close();
                return;
            }
            maxRttNanos = Math.max(maxRttNanos, System.nanoTime() - sentAt);
            echoed++;
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ticks != null) {
                ticks.cancel(false);
            }
            fail("the connection closed after " + echoed + " echoes, before the close handshake");
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail("failed after " + echoed + " echoes: " + cause);
            ctx.close();
        }
    }
}
