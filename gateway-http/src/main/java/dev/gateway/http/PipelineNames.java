package dev.gateway.http;



/**
 * Handler names, in one place. The pipelines, in order:
 *
 * <pre>
 * HTTP/HTTPS listener (client side)
 *   [tls]              SniHandler, https only: picks the certificate by SNI, then replaces itself with SslHandler
 *   request-decoder    StrictRequestDecoder: bytes to HttpRequest/HttpContent, refusing smuggling shapes
 *   response-encoder   ProxyResponseEncoder: HttpResponse/HttpContent to bytes, HEAD-aware
 *   frontend           FrontendHandler: timeouts; its RequestCycle routes, answers locally, one ProxyExchange at a time
 *
 * the same listener once the client speaks HTTP/2 (see Http2Negotiation)
 *   [tls]              as above; then [alpn] switched the connection to HTTP/2 (TLS listeners), or
 *   [h2-preface]       PrefaceSniffer found the HTTP/2 preface (cleartext listeners), or
 *   [h2c-upgrade]      HttpServerUpgradeHandler, between response-encoder and frontend, answered Upgrade: h2c
 *   h2-flush           FlushConsolidationHandler: the flushes of many streams in one pass of the loop, one write;
 *                      a close waits (1 s at most) for what was written before it, the codec's GOAWAY among it
 *   h2-codec           Http2FrameCodec: frames, settings, flow control, bounds on resets (GOAWAY past them),
 *                      the pseudo-headers every request must have
 *   h2-client-errors   Http2ClientErrors: resets a stream the client broke with the error's code; logs GOAWAYs
 *   h2-streams         Http2MultiplexHandler: one child channel per stream, whose pipeline is
 *                        h2-stream-codec  Http2StreamCodec: frames to the exchange's messages and back, header
 *                                         blocks read in place (Http2BackedHeaders), never converted
 *                        frontend         FrontendHandler, as on an HTTP/1.1 connection
 *                      after a WebSocket by extended CONNECT (RFC 8441) switched, the stream's pipeline is
 *                        h2-stream-bytes  Http2StreamBytes: DATA frames to bytes and back
 *                        relay            the Relay's handler (and a protocol's own, such as the WebSocket stopper)
 *   h2-idle            IdleStateHandler: read_timeout of silence on the whole connection
 *   h2-guard           ConnectionGuard: closes an idle connection without streams; logs connection errors
 *
 * an HTTP/1.1 client connection after a protocol switch (a 101): [tls], then the Relay's handler, and a protocol's own
 *
 * upstream connection
 *   [tls]              SslHandler, https targets only: SNI and host name verification
 *   client-encoder     HttpRequestEncoder
 *   client-decoder     UpstreamResponseDecoder: Netty's response decoder, told when a response answers HEAD
 *   upstream           Http1UpstreamConnection: hands the response to the exchange that owns the connection
 *   after a 101, both go: [tls], then the Relay's handler
 *
 * upstream HTTP/2 connection (h2c:// targets; https:// ones that negotiate h2)
 *   [tls]              as above, offering ALPN h2
 *   h2-flush           FlushConsolidationHandler, as on client connections
 *   h2-codec           Http2FrameCodec
 *   (unnamed)          IdleStateHandler: the keep-alive PING interval
 *   h2-upstream        Http2UpstreamConnection: settings, GOAWAY, keep-alive PINGs, idle close; its streams are
 *                      plain Http2UpstreamStream objects, not channels, handed their frames by stream id
 * </pre>
 */
public final class PipelineNames {

    public static final String TLS = "tls";
    public static final String REQUEST_DECODER = "request-decoder";
    public static final String RESPONSE_ENCODER = "response-encoder";
    public static final String FRONTEND = "frontend";
    public static final String CLIENT_ENCODER = "client-encoder";
    public static final String CLIENT_DECODER = "client-decoder";
    public static final String UPSTREAM = "upstream";
    public static final String ALPN = "alpn";
    public static final String H2_PREFACE = "h2-preface";
    public static final String H2C_UPGRADE = "h2c-upgrade";
    public static final String H2_FLUSH = "h2-flush";
    public static final String H2_CODEC = "h2-codec";
    public static final String H2_CLIENT_ERRORS = "h2-client-errors";
    public static final String H2_STREAMS = "h2-streams";
    public static final String H2_STREAM_CODEC = "h2-stream-codec";
    public static final String H2_STREAM_BYTES = "h2-stream-bytes";
    public static final String H2_IDLE = "h2-idle";
    public static final String H2_GUARD = "h2-guard";
    public static final String H2_UPSTREAM = "h2-upstream";

    private PipelineNames() {
    }
}
