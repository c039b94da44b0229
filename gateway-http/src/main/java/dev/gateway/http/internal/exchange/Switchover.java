package dev.gateway.http.internal.exchange;

import dev.gateway.core.relay.Relay;
import dev.gateway.http.PipelineNames;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;

/**
 * The HTTP side of a protocol switch ({@link dev.gateway.http.ProtocolSwitch}): which requests ask for one, the
 * headers that must survive the proxy's hop-by-hop rules, and taking the HTTP codecs out of a client connection
 * once the upstream's {@code 101} is on its way.
 */
public final class Switchover {

    /** Where Netty's HTTP/2 conversion puts an extended CONNECT's {@code :protocol}. */
    static final AsciiString H2_PROTOCOL = HttpConversionUtil.ExtensionHeaderNames.PROTOCOL.text();
    /** Where Netty's HTTP/2 conversion puts an extended CONNECT's {@code :path}. */
    static final AsciiString H2_PATH = HttpConversionUtil.ExtensionHeaderNames.PATH.text();

    private Switchover() {
    }

    /** Whether a request asks to switch protocols: an {@code Upgrade} header, or an HTTP/2 extended CONNECT. */
    public static boolean asked(HttpRequest request) {
        return request.headers().contains(HttpHeaderNames.UPGRADE) || isExtendedConnect(request);
    }

    /** An HTTP/2 extended CONNECT (RFC 8441), as Netty's conversion presents it. */
    public static boolean isExtendedConnect(HttpRequest request) {
        return request.method().equals(HttpMethod.CONNECT) && request.headers().contains(H2_PROTOCOL);
    }

    /** The request target to route an extended CONNECT by: its {@code :path}. */
    public static String connectPath(HttpRequest request) {
        return request.headers().get(H2_PATH);
    }

    /**
     * Puts back what the hop-by-hop rules took from an upgrade request headed upstream: the {@code Upgrade} the
     * client asked for, listed in {@code Connection}.
     */
    public static void keepUpgrade(HttpHeaders headers, String upgrade) {
        headers.set(HttpHeaderNames.UPGRADE, upgrade);
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    }

    /** The upstream's {@code 101} as the client gets it: its own headers, minus other hop-by-hop ones. */
    static FullHttpResponse switchingResponse(HttpResponse upstream) {
        HttpHeaders headers = upstream.headers();
        String upgrade = headers.get(HttpHeaderNames.UPGRADE);
        HeaderRewriter.stripHopByHop(headers);
        if (upgrade != null) {
            keepUpgrade(headers, upgrade);
        }
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, upstream.status(), Unpooled.EMPTY_BUFFER, headers,
                EmptyHttpHeaders.INSTANCE);
    }

    /**
     * Takes the HTTP handlers out of a client connection (or HTTP/2 stream) whose upgrade answer has been written:
     * it is held for the relay, with any bytes its decoder had read past the request.
     *
     * @param frontend the connection's frontend handler, which goes first so no leftover byte reaches it
     */
    public static void clientToBytes(Channel client, ChannelHandler frontend, boolean http2Stream) {
        ChannelPipeline pipeline = client.pipeline();
        Relay.holdSwitching(client);
        pipeline.remove(frontend);
        if (http2Stream) {
            pipeline.replace(PipelineNames.H2_STREAM_CODEC, PipelineNames.H2_STREAM_BYTES, new Http2StreamBytes());
            return;
        }
        if (pipeline.get(PipelineNames.H2C_UPGRADE) != null) {
            pipeline.remove(PipelineNames.H2C_UPGRADE);
        }
        pipeline.remove(PipelineNames.REQUEST_DECODER);
        pipeline.remove(PipelineNames.RESPONSE_ENCODER);
    }
}
