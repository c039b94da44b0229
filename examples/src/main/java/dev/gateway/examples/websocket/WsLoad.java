package dev.gateway.examples.websocket;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.URI;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * A WebSocket load client (Netty's WebSocket client, NIO) for {@code bench/websocket.sh}. Two modes:
 *
 * <pre>
 * java -cp examples.jar dev.gateway.examples.websocket.WsLoad idle URL N
 * java -cp examples.jar dev.gateway.examples.websocket.WsLoad rtt URL CONNECTIONS MESSAGES SIZE [WARMUP]
 * </pre>
 *
 * <ul>
 *   <li>{@code idle} opens {@code N} WebSockets, prints {@code open N seconds S} once all have shaken hands, and
 *       holds them, silent, until standard input ends (then closes them and prints {@code held N closed_early K})
 *       or the process gets a signal.
 *   <li>{@code rtt} opens {@code CONNECTIONS} WebSockets; each sends a binary message of {@code SIZE} bytes, waits
 *       for its echo and sends the next, first {@code WARMUP} times unrecorded (default {@value #DEFAULT_WARMUP}),
 *       then {@code MESSAGES} times recorded. It prints one line:
 *       {@code rtt connections C messages M size S p50_us X p99_us Y max_us Z msgs_per_s R}, where {@code M} is the
 *       recorded round trips of all connections and the rate is theirs over the recorded phase's wall time.
 * </ul>
 *
 * <p>Each message carries its sequence number in its first 8 bytes, and an echo must come back whole and in order;
 * anything else, or a connection that fails or closes, prints the failure on stderr and exits with status 1.
 */
public final class WsLoad {

    /** Handshakes in flight at once while opening: enough to open 10,000 in seconds, few enough for any backlog. */
    static final int MAX_HANDSHAKES_IN_FLIGHT = 200;
    /** A connect or a handshake that takes longer than this fails the run. */
    static final int HANDSHAKE_TIMEOUT_MILLIS = 10_000;
    /** Unrecorded round trips per connection before the recorded ones: the JIT's warm-up, client and proxy. */
    static final int DEFAULT_WARMUP = 1_000;
    /** Room for the sequence number each message carries. */
    static final int MIN_SIZE = Long.BYTES;
    /** Largest message accepted back: far above any size this client sends in one frame. */
    static final int MAX_FRAME = 16 * 1024 * 1024;

    private static final String COMMAND = "java -cp examples.jar " + WsLoad.class.getName();
    private static final String USAGE = "usage: " + COMMAND + " idle URL N\n"
            + "       " + COMMAND + " rtt URL CONNECTIONS MESSAGES SIZE [WARMUP]";

    private final URI uri;
    private final EventLoopGroup group;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    /** The first failure; the run ends with it. */
    private final AtomicReference<String> failure = new AtomicReference<>();

    private WsLoad(URI uri) {
        this.uri = uri;
        this.group = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                NioIoHandler.newFactory());
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || !(args[0].equals("idle") && args.length == 3
                || args[0].equals("rtt") && (args.length == 5 || args.length == 6))) {
            usageError(null);
        }
        URI uri = URI.create(args[1]);
        if (!"ws".equals(uri.getScheme()) || uri.getPort() < 0) {
            usageError("URL must be ws://HOST:PORT/..., not " + args[1]);
        }
        WsLoad load = new WsLoad(uri);
        int status;
        try {
            status = args[0].equals("idle")
                    ? load.idle(positive(args[2], "N"))
                    : load.rtt(positive(args[2], "CONNECTIONS"), positive(args[3], "MESSAGES"),
                            positive(args[4], "SIZE"), args.length == 6 ? count(args[5], "WARMUP") : DEFAULT_WARMUP);
        } finally {
            load.channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            load.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
        System.out.flush();
        System.exit(status);
    }

    private int idle(int n) throws InterruptedException, IOException {
        long start = System.nanoTime();
        if (!open(n, i -> null)) {
            return fail();
        }
        System.out.printf(Locale.ROOT, "open %d seconds %.1f%n", n, (System.nanoTime() - start) / 1e9);
        System.out.flush();
        while (System.in.read() >= 0) {
            // Holding: only the end of standard input (or a signal) lets go.
        }
        // The group lets go of each channel as it closes: what is missing closed before its time.
        System.out.println("held " + n + " closed_early " + (n - channels.size()));
        return 0;
    }

    private int rtt(int connections, int messages, int size, int warmup) throws InterruptedException {
        if (size < MIN_SIZE) {
            usageError("SIZE must be at least " + MIN_SIZE + " (the sequence number)");
        }
        RoundTrips[] trips = new RoundTrips[connections];
        if (!open(connections, i -> trips[i] = new RoundTrips(i, size))) {
            return fail();
        }
        if (warmup > 0 && phase(trips, warmup, null) < 0) {
            return fail();
        }
        long[] nanos = new long[Math.multiplyExact(connections, messages)];
        long elapsed = phase(trips, messages, nanos);
        if (elapsed < 0) {
            return fail();
        }
        Arrays.sort(nanos);
        System.out.printf(Locale.ROOT, "rtt connections %d messages %d size %d p50_us %.1f p99_us %.1f max_us %.1f"
                        + " msgs_per_s %.0f%n", connections, nanos.length, size, percentile(nanos, 50) / 1e3,
                percentile(nanos, 99) / 1e3, nanos[nanos.length - 1] / 1e3, nanos.length / (elapsed / 1e9));
        return 0;
    }

    /**
     * Every connection does {@code count} round trips at once, each recording its latencies in its own slice of
     * {@code nanos} (null: not recorded). Returns the phase's wall time, or -1 when a connection failed.
     */
    private long phase(RoundTrips[] trips, int count, long[] nanos) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(trips.length);
        long start = System.nanoTime();
        for (int i = 0; i < trips.length; i++) {
            trips[i].start(count, nanos, i * count, done);
        }
        while (!done.await(100, TimeUnit.MILLISECONDS)) {
            if (failure.get() != null) {
                return -1;
            }
        }
        return failure.get() != null ? -1 : System.nanoTime() - start;
    }

    /**
     * Opens {@code n} WebSockets, at most {@link #MAX_HANDSHAKES_IN_FLIGHT} shaking hands at once; {@code last} gives
     * the handler each connection's pipeline ends with, by index (null for none). Returns whether all opened; each
     * open one is in {@link #channels}.
     */
    private boolean open(int n, IntFunction<ChannelHandler> last) throws InterruptedException {
        Semaphore inFlight = new Semaphore(MAX_HANDSHAKES_IN_FLIGHT);
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .maxFramePayloadLength(MAX_FRAME)
                .handshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MILLIS)
                .build();
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, HANDSHAKE_TIMEOUT_MILLIS);
        for (int i = 0; i < n; i++) {
            inFlight.acquire();
            if (failure.get() != null) {
                return false;
            }
            int index = i;
            ChannelHandler handler = last.apply(index);
            ChannelFuture connect = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                            new WebSocketClientProtocolHandler(config), new Opening(index, inFlight));
                    if (handler != null) {
                        ch.pipeline().addLast(handler);
                    }
                }
            }).connect(uri.getHost(), uri.getPort());
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    failure.compareAndSet(null, "connection " + index + ": connect failed: " + f.cause());
                    inFlight.release();
                }
            });
        }
        // Every permit back means every handshake ended, one way or the other.
        inFlight.acquire(MAX_HANDSHAKES_IN_FLIGHT);
        return failure.get() == null;
    }

    /** Gives the connection's handshake permit back when the handshake ends, and records how it ended. */
    private final class Opening extends ChannelInboundHandlerAdapter {
        private final int index;
        private final Semaphore inFlight;
        private boolean ended;

        Opening(int index, Semaphore inFlight) {
            this.index = index;
            this.inFlight = inFlight;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                channels.add(ctx.channel());
                end(null);
            } else if (event == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                end("handshake timed out after " + HANDSHAKE_TIMEOUT_MILLIS + " ms");
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            end("closed before its handshake ended");
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (ended) {
                ctx.fireExceptionCaught(cause);
            } else {
                end(cause.toString());
                ctx.close();
            }
        }

        private void end(String problem) {
            if (ended) {
                return;
            }
            ended = true;
            if (problem != null) {
                failure.compareAndSet(null, "connection " + index + ": " + problem);
            }
            inFlight.release();
        }
    }

    /** One connection's round trips: send, wait for the echo, record, repeat; on its event loop. */
    private final class RoundTrips extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final int index;
        private final int size;
        private ChannelHandlerContext ctx;
        private int count;
        private long[] nanos;
        private int offset;
        private CountDownLatch done;
        private long sequence;
        private int received;
        private long sentAt;

        RoundTrips(int index, int size) {
            this.index = index;
            this.size = size;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        /** Does {@code count} round trips, recording each into {@code nanos[offset...]} unless it is null. */
        void start(int count, long[] nanos, int offset, CountDownLatch done) {
            ctx.executor().execute(() -> {
                this.count = count;
                this.nanos = nanos;
                this.offset = offset;
                this.done = done;
                this.received = 0;
                send();
            });
        }

        private void send() {
            ByteBuf payload = ctx.alloc().buffer(size);
            payload.writeLong(sequence).writeZero(size - Long.BYTES);
            sentAt = System.nanoTime();
            ctx.writeAndFlush(new BinaryWebSocketFrame(payload), ctx.voidPromise());
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            long now = System.nanoTime();
            ByteBuf content = frame.content();
            if (!(frame instanceof BinaryWebSocketFrame) || !frame.isFinalFragment() || content.readableBytes() != size
                    || content.getLong(content.readerIndex()) != sequence) {
                failure.compareAndSet(null, "connection " + index + ": expected the echo of message " + sequence
                        + " (" + size + " bytes), got " + frame);
                ctx.close();
                return;
            }
            sequence++;
            if (nanos != null) {
                nanos[offset + received] = now - sentAt;
            }
            if (++received < count) {
                send();
            } else {
                done.countDown();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            failure.compareAndSet(null, "connection " + index + ": closed after " + sequence + " round trips");
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failure.compareAndSet(null,
                    "connection " + index + ": failed after " + sequence + " round trips: " + cause);
            ctx.close();
        }
    }

    /** Nearest rank: the smallest value that at least {@code p} percent of {@code sorted} do not exceed. */
    private static long percentile(long[] sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(rank, 1) - 1];
    }

    private int fail() {
        System.out.flush();
        System.err.println(failure.get());
        return 1;
    }

    private static int positive(String value, String name) {
        int n = count(value, name);
        if (n == 0) {
            usageError(name + " must be positive");
        }
        return n;
    }

    private static int count(String value, String name) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        usageError(name + " must be a whole number, not " + value);
        return 0;
    }

    private static void usageError(String problem) {
        if (problem != null) {
            System.err.println(problem);
        }
        System.err.println(USAGE);
        System.exit(2);
    }
}
