package dev.gateway.core.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The relay between real sockets: a small proxy joins each accepted connection to an upstream connection, and
 * plain blocking sockets play client and upstream.
 */
class RelayTest {

    private static final int MIB = 1024 * 1024;

    private final BlockingQueue<Relay.Report> reports = new LinkedBlockingQueue<>();
    private final BlockingQueue<Relay> relays = new LinkedBlockingQueue<>();
    private EventLoopGroup group;
    private Transport transport;
    private ServerSocket upstream;
    private Channel proxy;

    @BeforeEach
    void setUp() throws IOException {
        transport = transport();
        group = transport.newEventLoopGroup(1, "relay-test");
        upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    /** The transport the proxy runs on: the best that loads here; {@link RelayOverEpollTest} runs them on epoll. */
    Transport transport() {
        return Transport.select();
    }

    @AfterEach
    void tearDown() throws IOException {
        if (proxy != null) {
            proxy.close().syncUninterruptibly();
        }
        upstream.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * How the proxy's relays move bytes. Only a relay of two held plain TCP connections is spliced, so COPY puts
     * a handler on the upstream side, as TLS would.
     */
    enum Mode {
        COPY,
        /** Spliced with native epoll; on io_uring and NIO this is COPY again. */
        SPLICE
    }

    /** Starts the proxy: each accepted connection is relayed to {@link #upstream}. */
    private int startProxy(long idleTimeoutNanos, Mode mode) throws InterruptedException {
        WriteBufferWaterMark marks = new WriteBufferWaterMark(32 * 1024, 64 * 1024);
        Consumer<Relay.Report> report = reports::add;
        proxy = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannelClass())
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, marks)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        Channel client = ctx.channel();
                        client.pipeline().remove(this);
                        Relay.hold(client);
                        new Bootstrap()
                                .group(client.eventLoop())
                                .channel(transport.channelClass())
                                .option(ChannelOption.AUTO_READ, false)
                                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, marks)
                                .handler(new ChannelInitializer<>() {
                                    @Override
                                    protected void initChannel(Channel up) {
                                        if (mode == Mode.SPLICE) {
                                            Relay.hold(up);
                                        } else {
                                            up.pipeline().addLast(new ChannelInboundHandlerAdapter());
                                        }
                                    }
                                })
                                .connect(upstream.getLocalSocketAddress())
                                .addListener(f -> {
                                    Channel up = ((ChannelFuture) f).channel();
                                    if (f.isSuccess()) {
                                        relays.add(Relay.join(client, up, idleTimeoutNanos, report));
                                    } else {
                                        client.close();
                                    }
                                });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return ((InetSocketAddress) proxy.localAddress()).getPort();
    }

    /** The next report of a relay that carried bulk data: spliced in SPLICE mode with epoll, copied otherwise. */
    private Relay.Report nextReport(Mode mode) throws InterruptedException {
        Relay.Report report = nextReport();
        assertEquals(mode == Mode.SPLICE && transport.name().equals("epoll"), report.spliced(), report::toString);
        return report;
    }

    private Relay.Report nextReport() throws InterruptedException {
        Relay.Report report = reports.poll(10, TimeUnit.SECONDS);
        assertNotNull(report, "the relay never ended");
        return report;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void stopEndsEachSideWithAFinNotAResetWhileTheClientKeepsSending(Mode mode) throws Exception {
        try (Socket client = new Socket("127.0.0.1", startProxy(0, mode));
                Socket server = upstream.accept()) {
            Relay relay = relays.poll(10, TimeUnit.SECONDS);
            assertNotNull(relay);
            // A peer that reads closes its side at the FIN, as redis-cli does.
            Thread upstreamSide = new Thread(() -> {
                try (server) {
                    server.getInputStream().readAllBytes();
                } catch (IOException e) {
                    // reported through the client's side
                }
            });
            upstreamSide.start();
            // The client sends all the while, a command every millisecond: bytes are in flight as the stop comes.
            AtomicBoolean sending = new AtomicBoolean(true);
            Thread writer = new Thread(() -> {
                byte[] command = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);
                try {
                    OutputStream out = client.getOutputStream();
                    while (sending.get()) {
                        out.write(command);
                        Thread.sleep(1);
                    }
                } catch (IOException | InterruptedException e) {
                    // the stop, as the client sees it
                }
            });
            writer.start();
            Thread.sleep(200);

            Future<Void> closed = relay.stop(TimeUnit.SECONDS.toNanos(5));

            client.setSoTimeout(5000);
            // The end of the stream, not "Connection reset".
            assertEquals(-1, client.getInputStream().read());
            sending.set(false);
            writer.join(5000);
            client.close();
            assertTrue(closed.await(5, TimeUnit.SECONDS), "both sides closed once their peers did");
            upstreamSide.join(5000);
            assertEquals(Relay.Reason.STOPPED, nextReport().reason());
        }
    }

    @Test
    void stopClosesASideWhosePeerNeverClosesOnceTheLingerIsOver() throws Exception {
        try (Socket client = new Socket("127.0.0.1", startProxy(0, Mode.COPY));
                Socket server = upstream.accept()) {
            Relay relay = relays.poll(10, TimeUnit.SECONDS);
            assertNotNull(relay);
            long start = System.nanoTime();

            Future<Void> closed = relay.stop(TimeUnit.MILLISECONDS.toNanos(300));

            client.setSoTimeout(5000);
            assertEquals(-1, client.getInputStream().read(), "the FIN comes at once");
            assertTrue(closed.await(5, TimeUnit.SECONDS), "closed after the linger though neither peer closed");
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(took >= 250, "closed after " + took + " ms, before the linger");
            assertEquals(Relay.Reason.STOPPED, nextReport().reason());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void bytesGoBothWaysAndTheReportCountsThem(Mode mode) throws Exception {
        Socket client = new Socket("127.0.0.1", startProxy(0, mode));
        try (Socket server = upstream.accept()) {
            client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            byte[] got = server.getInputStream().readNBytes(5);
            assertEquals("hello", new String(got, StandardCharsets.US_ASCII));
            server.getOutputStream().write("world!".getBytes(StandardCharsets.US_ASCII));
            assertEquals("world!", new String(client.getInputStream().readNBytes(6), StandardCharsets.US_ASCII));

            client.close();
            // The client's end reaches the upstream as the end of its input; once it ends too, the relay is done.
            assertEquals(-1, server.getInputStream().read());
            server.close();

            Relay.Report report = nextReport();
            assertEquals(5, report.clientToUpstreamBytes());
            assertEquals(6, report.upstreamToClientBytes());
            assertEquals(Relay.Reason.DONE, report.reason());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void halfCloseLetsTheReplyArriveAfterTheClientStoppedSending(Mode mode) throws Exception {
        try (Socket client = new Socket("127.0.0.1", startProxy(0, mode));
                Socket server = upstream.accept()) {
            client.getOutputStream().write("question".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();

            // The upstream sees the whole request and then the end of it, before it answers.
            assertEquals("question", new String(readAll(server.getInputStream()), StandardCharsets.US_ASCII));
            server.getOutputStream().write("answer".getBytes(StandardCharsets.US_ASCII));
            server.shutdownOutput();

            assertEquals("answer", new String(readAll(client.getInputStream()), StandardCharsets.US_ASCII));
            assertEquals(Relay.Reason.DONE, nextReport().reason());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void upstreamClosingEndsTheClientsInput(Mode mode) throws Exception {
        try (Socket client = new Socket("127.0.0.1", startProxy(0, mode))) {
            try (Socket server = upstream.accept()) {
                server.getOutputStream().write("bye".getBytes(StandardCharsets.US_ASCII));
            }
            assertEquals("bye", new String(readAll(client.getInputStream()), StandardCharsets.US_ASCII));
            client.shutdownOutput();

            Relay.Report report = nextReport();
            assertEquals(3, report.upstreamToClientBytes());
            assertEquals(Relay.Reason.DONE, report.reason());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void clientResetClosesTheUpstream(Mode mode) throws Exception {
        try (Socket server = upstreamAfter(new Socket("127.0.0.1", startProxy(0, mode)), true)) {
            assertEquals(-1, server.getInputStream().read(), "the upstream connection ends with the client's");
            Relay.Report report = nextReport();
            assertEquals(Relay.Reason.CLIENT_CLOSED, report.reason(), report.toString());
        }
    }

    /** Accepts the relayed connection of {@code client}; with {@code reset}, the client then aborts (RST). */
    private Socket upstreamAfter(Socket client, boolean reset) throws IOException {
        Socket server = upstream.accept();
        if (reset) {
            client.setSoLinger(true, 0);
            client.close();
        }
        return server;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void silentRelayClosesAfterTheIdleTimeout(Mode mode) throws Exception {
        try (Socket client = new Socket("127.0.0.1", startProxy(TimeUnit.MILLISECONDS.toNanos(200), mode));
                Socket server = upstream.accept()) {
            client.setSoTimeout(10_000);
            long start = System.nanoTime();

            assertEquals(-1, client.getInputStream().read());

            assertEquals(Relay.Reason.IDLE, nextReport().reason());
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(150));
            assertEquals(-1, server.getInputStream().read());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void everyByteBeforeTheClientsFinReachesAnUpstreamThatIsBehind(Mode mode) throws Exception {
        byte[] payload = new byte[4 * MIB];
        new Random(42).nextBytes(payload);
        CountDownLatch sent = new CountDownLatch(1);
        try (Socket client = new Socket("127.0.0.1", startProxy(0, mode));
                Socket server = upstream.accept()) {
            Thread sender = new Thread(() -> {
                try {
                    client.getOutputStream().write(payload);
                    client.shutdownOutput();
                    sent.countDown();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, "relay-test-client");
            sender.start();
            // The upstream reads only once the client has sent all and its FIN (or the buffers between are full):
            // the FIN then reaches the relay with megabytes still ahead of it in the socket.
            sent.await(2, TimeUnit.SECONDS);

            byte[] received = readAll(server.getInputStream());
            server.getOutputStream().write("ok".getBytes(StandardCharsets.US_ASCII));
            server.shutdownOutput();
            sender.join(10_000);

            assertEquals(payload.length, received.length);
            assertTrue(Arrays.equals(payload, received), "the bytes arrived altered");
            assertEquals("ok", new String(readAll(client.getInputStream()), StandardCharsets.US_ASCII));
            Relay.Report report = nextReport(mode);
            assertEquals(Relay.Reason.DONE, report.reason());
            assertEquals(payload.length, report.clientToUpstreamBytes());
            assertEquals(2, report.upstreamToClientBytes());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void relayThatKeepsTalkingOutlivesItsIdleTimeout(Mode mode) throws Exception {
        long idleMillis = 300;
        try (Socket client = new Socket("127.0.0.1", startProxy(TimeUnit.MILLISECONDS.toNanos(idleMillis), mode));
                Socket server = upstream.accept()) {
            server.setSoTimeout(10_000);
            long start = System.nanoTime();
            int sent = 0;
            while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(4 * idleMillis)) {
                client.getOutputStream().write('x');
                sent++;
                assertEquals('x', server.getInputStream().read());
                Thread.sleep(idleMillis / 3); // the pace under test: a byte every third of the idle time
            }

            assertTrue(sent >= 6, "sent only " + sent);
            assertNull(reports.poll(), "the relay ended while bytes were flowing");
            client.close();
            assertEquals(-1, server.getInputStream().read());
            server.close();
            Relay.Report report = nextReport();
            assertEquals(Relay.Reason.DONE, report.reason());
            assertEquals(sent, report.clientToUpstreamBytes());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void slowReaderOfOneGibibyteHoldsBackTheSenderWithBoundedBuffers(Mode mode) throws Exception {
        long size = 1024L * MIB;
        AtomicLong maxDirect = new AtomicLong();
        AtomicLong maxHeap = new AtomicLong();
        try (Socket client = new Socket("127.0.0.1", startProxy(0, mode));
                Socket server = upstream.accept()) {
            Thread sender = new Thread(() -> {
                byte[] chunk = new byte[64 * 1024];
                try (OutputStream out = server.getOutputStream()) {
                    for (long sent = 0; sent < size; sent += chunk.length) {
                        chunk[0] = (byte) (sent >>> 16);
                        out.write(chunk);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, "relay-test-sender");
            sender.start();

            long received = 0;
            byte[] buffer = new byte[64 * 1024];
            InputStream in = client.getInputStream();
            for (int n; (n = in.read(buffer)) != -1; ) {
                received += n;
                if (received % MIB < n) {
                    Thread.sleep(1); // the slowness under test: a pause every MiB
                    maxDirect.accumulateAndGet(nettyDirectMemory(), Math::max);
                    maxHeap.accumulateAndGet(Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory(),
                            Math::max);
                }
            }
            sender.join(10_000);
            client.shutdownOutput();
            Relay.Report report = nextReport(mode);

            assertEquals(size, received);
            assertEquals(size, report.upstreamToClientBytes());
            // The relay holds at most a few water marks of bytes; without backpressure it would hold most of it.
            assertTrue(maxDirect.get() < 16 * MIB, "Netty direct memory peaked at " + maxDirect.get());
            assertTrue(maxHeap.get() < 512L * MIB, "the heap peaked at " + maxHeap.get());
        }
    }

    private static long nettyDirectMemory() {
        return ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider
                ? provider.metric().usedDirectMemory() : 0;
    }

    @Test
    void relayRefusesChannelsOfTwoEventLoops() throws Exception {
        EventLoopGroup other = transport.newEventLoopGroup(1, "relay-test-other");
        try {
            Channel a = new Bootstrap().group(group).channel(transport.channelClass())
                    .handler(new ChannelInboundHandlerAdapter()).register().sync().channel();
            Channel b = new Bootstrap().group(other).channel(transport.channelClass())
                    .handler(new ChannelInboundHandlerAdapter()).register().sync().channel();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Relay.join(a, b, 0, r -> { }));
            assertTrue(e.getMessage().contains("one event loop"));
            a.close().sync();
            b.close().sync();
        } finally {
            other.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
