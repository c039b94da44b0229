package dev.gateway.core.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
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

    /**
     * On Linux x86_64 the best transport is io_uring where the kernel lets this process use it (the machines the
     * tests run on do), and epoll with the reason otherwise (a container whose seccomp profile forbids io_uring).
     */
    @Test
    @EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"})
    void selectsIoUringOnLinuxX86WhereTheKernelAllowsItAndEpollOtherwise() {
        Transport transport = Transport.select();

        if (IoUring.isAvailable()) {
            assertEquals("io_uring", transport.name());
            assertEquals("", transport.fallbackReason());
            assertEquals(IoUringServerSocketChannel.class, transport.serverChannelClass());
            assertEquals(IoUringSocketChannel.class, transport.channelClass());
        } else {
            assertEquals("epoll", transport.name());
            assertTrue(transport.fallbackReason().startsWith("io_uring unavailable ("), transport.fallbackReason());
        }
        assertEquals(transport.name(), Transport.select("auto").name());
    }

    @Test
    @EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"})
    void epollIsNamedAndLoadsOnLinuxX86() {
        Transport epoll = Transport.select("epoll");

        assertEquals("epoll", epoll.name());
        assertEquals("", epoll.fallbackReason(), "a transport asked for by name skipped nothing");
        assertEquals(EpollServerSocketChannel.class, epoll.serverChannelClass());
        assertEquals(EpollSocketChannel.class, epoll.channelClass());
    }

    @Test
    void aTransportNamedThatCannotLoadIsAnErrorNotAFallback() {
        if (IoUring.isAvailable()) {
            assertEquals("io_uring", Transport.select("io_uring").name());
        } else {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Transport.select("io_uring"));
            assertTrue(e.getMessage().startsWith("transport io_uring: unavailable here ("), e.getMessage());
        }
        assertEquals("nio", Transport.select("nio").name());
        assertThrows(IllegalArgumentException.class, () -> Transport.select("kqueue"));
    }

    @Test
    void nioLoadsEverywhere() {
        Transport nio = Transport.nio();

        assertEquals("nio", nio.name());
        assertEquals(NioServerSocketChannel.class, nio.serverChannelClass());
        assertEquals(NioSocketChannel.class, nio.channelClass());
        assertEquals("", nio.fallbackReason(), "NIO asked for by name skipped nothing");
    }

    /** Every transport that loads here: io_uring and epoll on the test machines, NIO everywhere. */
    static Stream<Transport> transports() {
        return Stream.of("io_uring", "epoll", "nio").filter(TransportTest::loads).map(Transport::select);
    }

    private static boolean loads(String name) {
        try {
            Transport.select(name);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
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
