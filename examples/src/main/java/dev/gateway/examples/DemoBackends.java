package dev.gateway.examples;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.flow.FlowControlHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the demo upstreams. Usage: {@code java -jar examples.jar [--http-port 9001] [--host 127.0.0.1]}.
 *
 * <p>The HTTP/1.1 demo server answers the endpoints documented on {@link DemoHttpHandler}.
 */
public final class DemoBackends {

    private static final Logger log = LoggerFactory.getLogger(DemoBackends.class);

    /** The port the default {@code config/} points its demo API at. */
    public static final int DEFAULT_HTTP_PORT = 9001;

    /** Loopback by default: a demo upstream has no business being reachable from other hosts. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    /** Upper bound on how long shutdown waits for the event loops to finish their tasks. */
    private static final long SHUTDOWN_TIMEOUT_SECONDS = 5;

    /** Request line and header limits, the same as Netty's defaults, named here so they are visible. */
    private static final int MAX_INITIAL_LINE_LENGTH = 4096;
    private static final int MAX_HEADER_SIZE = 8192;
    private static final int MAX_CHUNK_SIZE = 8192;

    private DemoBackends() {
    }

    public static void main(String[] args) throws InterruptedException {
        int httpPort = DEFAULT_HTTP_PORT;
        String host = DEFAULT_HOST;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--http-port" -> httpPort = parsePort(valueOf(args, ++i, "--http-port"));
                case "--host" -> host = valueOf(args, ++i, "--host");
                case "-h", "--help" -> {
                    System.out.println("usage: java -jar examples.jar [--http-port " + DEFAULT_HTTP_PORT
                            + "] [--host " + DEFAULT_HOST + "]");
                    return;
                }
                default -> usageError("unknown argument: " + args[i]);
            }
        }

        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        // A demo has nothing worth draining: no quiet period, so Ctrl-C and SIGTERM exit at once.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            boss.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS).syncUninterruptibly();
        }, "demo-shutdown"));

        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // The handler asks for each message with read(): one request at a time, and an echo
                // body is read no faster than it is written back.
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        p.addLast("http-codec",
                                new HttpServerCodec(MAX_INITIAL_LINE_LENGTH, MAX_HEADER_SIZE, MAX_CHUNK_SIZE));
                        p.addLast("keep-alive", new HttpServerKeepAliveHandler());
                        // Holds pipelined messages that one socket read decoded until the handler asks.
                        p.addLast("flow-control", new FlowControlHandler());
                        // Answers "Expect: 100-continue" so that curl sends a large /echo body without waiting.
                        p.addLast("expect-continue", new HttpServerExpectContinueHandler());
                        p.addLast("demo-http", new DemoHttpHandler());
                    }
                });

        Channel server;
        try {
            server = bootstrap.bind(host, httpPort).sync().channel();
        } catch (Exception e) {
            log.error("demo-http could not bind {}:{}: {}", host, httpPort, e.toString());
            boss.shutdownGracefully();
            workers.shutdownGracefully();
            System.exit(1);
            return;
        }
        int boundPort = ((InetSocketAddress) server.localAddress()).getPort();
        log.info("demo-http listening on http://{}:{} (GET / /hello, POST /echo, GET /stream, GET /events)",
                host, boundPort);
        server.closeFuture().sync();
    }

    private static String valueOf(String[] args, int i, String flag) {
        if (i >= args.length) {
            usageError(flag + " needs a value");
        }
        return args[i];
    }

    private static int parsePort(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        usageError("not a port: " + value);
        return -1;
    }

    private static void usageError(String message) {
        System.err.println(message);
        System.err.println("usage: java -jar examples.jar [--http-port " + DEFAULT_HTTP_PORT
                + "] [--host " + DEFAULT_HOST + "]");
        System.exit(2);
    }
}
