package dev.gateway.http.internal.client;

import dev.gateway.core.tls.TlsContexts;
import dev.gateway.core.transport.Transport;
import dev.gateway.http.HttpSettings;
import dev.gateway.http.PipelineNames;
import dev.gateway.http.UpstreamEndpoint;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.AddressResolverGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Opens upstream connections on the event loop of the client connection that needs them, with the same channel
 * class, auto-read off and the proxy's water marks, so backpressure works the same on both sides.
 */
public final class UpstreamConnector {

    private final Bootstrap template;
    private final TlsContexts tls;
    private final long pingIntervalNanos;

    public UpstreamConnector(Transport transport, TlsContexts tls, HttpSettings settings,
            AddressResolverGroup<InetSocketAddress> resolver) {
        this.tls = tls;
        this.pingIntervalNanos = settings.upstreamPingIntervalNanos();
        this.template = transport.upstreams(resolver, settings.proxyTimeoutNanos());
    }

    ChannelFuture connect(EventLoop loop, UpstreamEndpoint endpoint, Http1UpstreamConnection connection) {
        return template.clone(loop)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (endpoint.tls()) {
                            ch.pipeline().addLast(PipelineNames.TLS, tls.client(endpoint.insecureSkipVerify())
                                    .newHandler(ch.alloc(), endpoint.sniHost(), endpoint.port()));
                        }
                        ch.pipeline().addLast(PipelineNames.CLIENT_ENCODER, new HttpRequestEncoder());
                        ch.pipeline().addLast(PipelineNames.CLIENT_DECODER, new UpstreamResponseDecoder());
                        ch.pipeline().addLast(PipelineNames.UPSTREAM, connection);
                    }
                })
                .connect(endpoint.host(), endpoint.port());
    }

    /**
     * Opens an HTTP/2 connection to the endpoint: prior knowledge in cleartext, ALPN {@code h2} over TLS. The
     * connection reads all the time (streams hold back with flow control) and reports to {@code connection}.
     */
    void connectHttp2(EventLoop loop, UpstreamEndpoint endpoint, Http2UpstreamConnection connection) {
        template.clone(loop)
                .option(ChannelOption.AUTO_READ, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (endpoint.tls()) {
                            ch.pipeline().addLast(PipelineNames.TLS, tls.http2Client(endpoint.insecureSkipVerify())
                                    .newHandler(ch.alloc(), endpoint.sniHost(), endpoint.port()));
                        }
                        ch.pipeline().addLast(PipelineNames.H2_FLUSH, Http2Windows.flushConsolidation());
                        ch.pipeline().addLast(PipelineNames.H2_CODEC, Http2FrameCodecBuilder.forClient()
                                .initialSettings(Http2Settings.defaultSettings()
                                        .pushEnabled(false)
                                        .initialWindowSize(HttpSettings.H2_STREAM_WINDOW)
                                        .maxHeaderListSize(HttpSettings.MAX_RESPONSE_HEADERS))
                                .validateHeaders(true)
                                .build());
                        ch.pipeline().addLast(new IdleStateHandler(pingIntervalNanos, 0, 0,
                                TimeUnit.NANOSECONDS));
                        ch.pipeline().addLast(PipelineNames.H2_UPSTREAM, connection);
                    }
                })
                .connect(endpoint.host(), endpoint.port())
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        connection.failed(f.cause());
                    }
                });
    }
}
