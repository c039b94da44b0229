package dev.gateway.http.proxy;

import dev.gateway.core.net.ProxyProtocol;
import dev.gateway.http.HttpRoutes;
import dev.gateway.http.PipelineNames;
import dev.gateway.http.LocalService;
import dev.gateway.http.internal.exchange.ProxyResponseEncoder;
import dev.gateway.http.internal.server.FrontendHandler;
import dev.gateway.http.internal.server.Http2Negotiation;
import dev.gateway.http.internal.server.ListenerContext;
import dev.gateway.http.internal.server.StrictRequestDecoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import java.util.function.Supplier;

/**
 * Sets up the pipeline of each accepted connection on an HTTP or HTTPS listener (the order is drawn in
 * {@link PipelineNames}). The routes are read through a supplier on every request, so a reload swaps them for
 * new requests while open connections carry on.
 */
public final class HttpListenerInitializer extends ChannelInitializer<Channel> {

    private final HttpProxy proxy;
    private final ListenerContext context;
    private final Mapping<String, SslContext> sni;
    private final boolean http2;
    private boolean proxyProtocol;

    /**
     * @param sni certificates by server name for HTTPS, {@code null} for cleartext; for HTTP/2 their contexts
     *     must offer ALPN {@code h2} (see {@code TlsContexts.serverMapping})
     * @param local the gateway's own endpoints (status, control API) on the ports that serve them, else {@code null}
     * @param http2 whether clients may speak HTTP/2: ALPN {@code h2} on TLS, prior knowledge in cleartext
     */
    public HttpListenerInitializer(HttpProxy proxy, Supplier<HttpRoutes> routes, Mapping<String, SslContext> sni,
            LocalService local, boolean http2) {
        this.proxy = proxy;
        this.context = new ListenerContext(proxy.settings(), routes, proxy.pools(), local,
                sni == null ? "http" : "https", proxy::isClosing, proxy::isDraining, proxy.protocolRules(),
                proxy.protocolSwitch(), proxy.exchanges());
        this.sni = sni;
        this.http2 = http2;
    }

    /** Connections start with a PROXY protocol header (an API on the port sets {@code enable_proxy_protocol}). */
    public HttpListenerInitializer expectingProxyProtocol(boolean expected) {
        this.proxyProtocol = expected;
        return this;
    }

    @Override
    protected void initChannel(Channel ch) {
        proxy.track(ch);
        ChannelPipeline pipeline = ch.pipeline();
        if (sni != null) {
            pipeline.addLast(PipelineNames.TLS, new SniHandler(sni));
            if (http2) {
                pipeline.addLast(PipelineNames.ALPN, new Http2Negotiation.AlpnSwitch(context));
            }
        } else if (http2) {
            pipeline.addLast(PipelineNames.H2_PREFACE, new Http2Negotiation.PrefaceSniffer(context));
        }
        ProxyResponseEncoder encoder = new ProxyResponseEncoder();
        StrictRequestDecoder decoder = new StrictRequestDecoder();
        pipeline.addLast(PipelineNames.REQUEST_DECODER, decoder);
        pipeline.addLast(PipelineNames.RESPONSE_ENCODER, encoder);
        if (http2 && sni == null) {
            pipeline.addLast(PipelineNames.H2C_UPGRADE, Http2Negotiation.upgradeHandler(context));
        }
        pipeline.addLast(PipelineNames.FRONTEND, new FrontendHandler(context, encoder, decoder));
        if (proxyProtocol) {
            // In front of everything, TLS included; the frontend's first read starts it.
            ProxyProtocol.expect(ch);
        }
    }
}
