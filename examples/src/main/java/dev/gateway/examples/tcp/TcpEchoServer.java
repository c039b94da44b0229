package dev.gateway.examples.tcp;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Sends every byte back as it comes, and when the client closes its side ({@code nc -q1}, a half-close) closes
 * its own once all was sent, so {@code echo hello | nc -q1 localhost 8090} prints {@code hello} and ends.
 *
 * <pre>
 * java -cp examples.jar dev.gateway.examples.tcp.TcpEchoServer [port]
 * </pre>
 */
public final class TcpEchoServer implements AutoCloseable {

    /** The port the demo's {@code tcp} API in {@code config/apps/} relays to. */
    public static final int DEFAULT_PORT = 9004;

    /** Loopback only: a demo upstream has no business being reachable from other hosts. */
    public static final String HOST = "127.0.0.1";

    private final EventLoopGroup group;
    private final Channel listener;

    private TcpEchoServer(EventLoopGroup group, int port) throws InterruptedException {
        this.group = group;
        this.listener = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                // Without it a client's half-close would close the whole connection before the echo is out.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new Echo());
                    }
                })
                .bind(new InetSocketAddress(HOST, port)).sync().channel();
    }

    /** An echo server on {@link #HOST}; port 0 picks a free one, see {@link #port()}. */
    public static TcpEchoServer start(int port) throws InterruptedException {
        return new TcpEchoServer(new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()), port);
    }

    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_PORT;
        TcpEchoServer server = start(port);
        System.out.println("TCP echo on " + HOST + ":" + server.port());
        server.listener.closeFuture().sync();
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** Writes back what it reads; stops reading while the client is not taking the echo. */
    private static final class Echo extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent) {
                // Nothing more will come: close once the echo written so far is out.
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A reset by the client is the usual end of a demo connection, nothing to report.
            ctx.close();
        }
    }
}
