package dev.gateway.http.internal;

/**
 * Handler names, in one place. The pipelines, in order:
 *
 * <pre>
 * HTTP/HTTPS listener (client side)
 *   [tls]              SniHandler, https only: picks the certificate by SNI, then replaces itself with SslHandler
 *   request-decoder    StrictRequestDecoder: bytes to HttpRequest/HttpContent, refusing smuggling shapes
 *   response-encoder   ProxyResponseEncoder: HttpResponse/HttpContent to bytes, HEAD-aware
 *   frontend           FrontendHandler: timeouts, routing, local answers, one ProxyExchange at a time
 *
 * upstream connection
 *   [tls]              SslHandler, https targets only: SNI and host name verification
 *   client-codec       HttpClientCodec
 *   upstream           UpstreamHandler: hands the response to the exchange that owns the connection
 * </pre>
 */
public final class PipelineNames {

    public static final String TLS = "tls";
    public static final String REQUEST_DECODER = "request-decoder";
    public static final String RESPONSE_ENCODER = "response-encoder";
    public static final String FRONTEND = "frontend";
    public static final String CLIENT_CODEC = "client-codec";
    public static final String UPSTREAM = "upstream";

    private PipelineNames() {
    }
}
