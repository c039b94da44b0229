package dev.gateway.http.support;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain HTTP/2 upstream on Netty, for what gRPC servers do not show: non-gRPC requests over HTTP/2, a small
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS}, and GOAWAY. It answers each request with {@code h2 <path>}; a path
 * ending in {@code /hold} is answered only when {@link #release()} is called, so streams stay open on demand,
 * one ending in {@code /reset} gets response headers, then RST_STREAM, and two break HTTP/2's rules for a response:
 * {@code /lying-length} declares a {@code content-length} longer than its body, {@code /pseudo-trailers} ends with
 * a pseudo-header in its trailers.
 */
public final class H2Upstream implements AutoCloseable {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final LinkedBlockingQueue<String> paths = new LinkedBlockingQueue<>();
    private final Set<Channel> held = ConcurrentHashMap.newKeySet();
    private final Semaphore heldPermits = new Semaphore(0);
    private final Semaphore pings = new Semaphore(0);
    private final Semaphore closedConnections = new Semaphore(0);

    private H2Upstream(long maxConcurrentStreams, SslContext tls, boolean ackPings) throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted.incrementAndGet();
                        connections.add(ch);
                        ch.closeFuture().addListener(f -> {
                            connections.remove(ch);
                            closedConnections.release();
                        });
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer()
                                .initialSettings(Http2Settings.defaultSettings()
                                        .maxConcurrentStreams(maxConcurrentStreams))
                                .autoAckPingFrame(ackPings)
                                .build());
                        ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel stream) {
                                stream.pipeline().addLast(new Answer());
                            }
                        }));
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<Http2PingFrame>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Http2PingFrame ping) {
                                if (!ping.ack()) {
                                    pings.release();
                                }
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** Cleartext HTTP/2 with prior knowledge, as {@code h2c://} targets expect. */
    public static H2Upstream cleartext(long maxConcurrentStreams) throws InterruptedException {
        return new H2Upstream(maxConcurrentStreams, null, true);
    }

    /** Cleartext HTTP/2 that never answers a PING, as a peer that has silently gone away. */
    public static H2Upstream deafToPings() throws InterruptedException {
        return new H2Upstream(Integer.MAX_VALUE, null, false);
    }

    /** TLS offering ALPN {@code h2} only. */
    public static H2Upstream tls(Path certPem, Path keyPem) throws Exception {
        SslContext context = SslContextBuilder.forServer(certPem.toFile(), keyPem.toFile())
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2))
                .build();
        return new H2Upstream(Integer.MAX_VALUE, context, true);
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Connections accepted so far. */
    public int acceptedConnections() {
        return accepted.get();
    }

    /** The next request path seen, waiting up to ten seconds. */
    public String takePath() throws InterruptedException {
        return paths.poll(10, TimeUnit.SECONDS);
    }

    /** Waits until {@code count} more {@code /hold} requests have arrived; false after ten seconds. */
    public boolean awaitHeld(int count) throws InterruptedException {
        return heldPermits.tryAcquire(count, 10, TimeUnit.SECONDS);
    }

    /** Waits for a PING from the gateway; false after ten seconds. */
    public boolean awaitPing() throws InterruptedException {
        return pings.tryAcquire(10, TimeUnit.SECONDS);
    }

    /** Waits until a connection has closed; false after ten seconds. */
    public boolean awaitConnectionClosed() throws InterruptedException {
        return closedConnections.tryAcquire(10, TimeUnit.SECONDS);
    }

    /** Answers every held stream. */
    public void release() {
        for (Channel stream : held) {
            stream.eventLoop().execute(() -> answer(stream, "held"));
        }
        held.clear();
    }

    /** Sends GOAWAY on every open connection: streams open now finish, new ones must go elsewhere. */
    public void goAway() throws InterruptedException {
        for (Channel connection : connections) {
            connection.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR)).sync();
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static void answer(Channel stream, String body) {
        Http2Headers headers = new DefaultHttp2Headers().status("200").set("content-type", "text/plain");
        stream.write(new DefaultHttp2HeadersFrame(headers));
        ByteBuf bytes = ByteBufUtil.writeUtf8(stream.alloc(), body);
        stream.writeAndFlush(new DefaultHttp2DataFrame(bytes, true));
    }

    /** One stream: records the path, then answers when the request has ended. */
    private final class Answer extends SimpleChannelInboundHandler<Http2StreamFrame> {
        private String path;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
            boolean end = false;
            if (frame instanceof Http2HeadersFrame headers) {
                path = headers.headers().path().toString();
                paths.add(path);
                end = headers.isEndStream();
            } else if (frame instanceof Http2DataFrame data) {
                end = data.isEndStream();
            }
            if (!end) {
                return;
            }
            if (path.endsWith("/reset")) {
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")));
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR));
            } else if (path.endsWith("/lying-length")) {
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                        .setInt("content-length", 100)));
                ctx.writeAndFlush(new DefaultHttp2DataFrame(ByteBufUtil.writeUtf8(ctx.alloc(), "short"), true));
            } else if (path.endsWith("/pseudo-trailers")) {
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")));
                ctx.write(new DefaultHttp2DataFrame(ByteBufUtil.writeUtf8(ctx.alloc(), "body"), false));
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                        .set("grpc-status", "0"), true));
            } else if (path.endsWith("/hold")) {
                held.add(ctx.channel());
                heldPermits.release();
            } else {
                answer(ctx.channel(), "h2 " + path);
            }
        }
    }
}
