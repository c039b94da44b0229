package dev.gateway.core.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TransportTest {

    private static final int TIMEOUT_SECONDS = 10;

    @Test
    @EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"})
    void selectsEpollOnLinuxX86() {
        Transport transport = Transport.select();

        assertEquals("epoll", transport.name());
        assertEquals("", transport.fallbackReason());
        assertEquals(EpollServerSocketChannel.class, transport.serverChannelClass());
        assertEquals(EpollSocketChannel.class, transport.channelClass());
    }

    @Test
    void nioIsTheFallback() {
        Transport nio = Transport.nio();

        assertEquals("nio", nio.name());
        assertEquals(NioServerSocketChannel.class, nio.serverChannelClass());
        assertEquals(NioSocketChannel.class, nio.channelClass());
        assertFalse(nio.fallbackReason().isEmpty(), "a fallback says why");
    }

    static Stream<Transport> transports() {
        return Stream.of(Transport.select(), Transport.nio());
    }

    /** The server and the upstream-style client share one event loop and one channel family, as the relay will. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void bindsPortZeroAndEchoesOnOneEventLoop(Transport transport) throws Exception {
        EventLoopGroup group = transport.newEventLoopGroup(1, "transport-test-" + transport.name());
        try {
            Channel server = new ServerBootstrap().group(group).channel(transport.serverChannelClass())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new EchoHandler());
                        }
                    })
                    .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            assertTrue(port > 0);

            CompletableFuture<String> echoed = new CompletableFuture<>();
            Channel client = new Bootstrap().group(group).channel(transport.channelClass())
                    .handler(new SimpleChannelInboundHandler<ByteBuf>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                            echoed.complete(msg.toString(StandardCharsets.US_ASCII));
                        }
                    })
                    .connect(server.localAddress()).sync().channel();
            client.writeAndFlush(Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII)).sync();

            assertEquals("ping", echoed.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, TIMEOUT_SECONDS, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void eventLoopThreadsAreNamedAndDaemon() throws Exception {
        Transport transport = Transport.select();
        EventLoopGroup group = transport.newEventLoopGroup(1, "named-loop");
        try {
            Thread thread = group.submit(Thread::currentThread).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);

            assertTrue(thread.getName().startsWith("named-loop"), thread.getName());
            assertTrue(thread.isDaemon());
        } finally {
            group.shutdownGracefully(0, TIMEOUT_SECONDS, TimeUnit.SECONDS).sync();
        }
    }

    /** Writes back what it reads; the write takes over the buffer, so nothing is released here. */
    private static final class EchoHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }
    }
}
