package dev.gateway.core.config;

import dev.gateway.core.tls.TlsContexts;
import java.util.List;

/**
 * {@code http_server_options} in {@code tyk.conf}.
 *
 * @param readTimeout seconds a client may take to send a request head, and may stay silent while sending a
 *     body or between keep-alive requests; 0 means {@value #DEFAULT_TIMEOUT_SECONDS}
 * @param writeTimeout seconds a client may refuse to accept bytes we have for it; 0 means
 *     {@value #DEFAULT_TIMEOUT_SECONDS}. Unlike Tyk's, it never cuts a response that is still moving.
 * @param flushInterval milliseconds; above 0, response bytes of known length are flushed at most this often
 * @param useSsl the gateway's own port speaks HTTPS
 * @param certificates server certificates by domain
 * @param sslCertificates PEM paths (certificate and key in one file, or {@code x.pem} beside {@code x.key})
 * @param minVersion lowest TLS version, as Tyk writes it: 771 is TLS 1.2, 772 is TLS 1.3; 0 means TLS 1.2
 * @param enableWebsockets proxy {@code Upgrade: websocket} requests (and HTTP/2 extended CONNECT) as WebSockets
 * @param maxRequestBodySize bytes; 0 means no limit
 * @param streamIdleTimeout not Tyk's: seconds a WebSocket may stay silent in both directions, or an event stream
 *     ({@code text/event-stream}) may go without a byte from its upstream, before the gateway closes it; 0 means
 *     {@value #DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS}
 * @param readHeaderTimeout not Tyk's: seconds a request head may take from its first byte to its end (a client
 *     that trickles a head, Slowloris, gets 408 and a close); 0 means {@value #DEFAULT_READ_HEADER_TIMEOUT_SECONDS}.
 *     Waiting for the first byte is {@code readTimeout}'s
 * @param readBodyTimeout not Tyk's: seconds a client may stay silent while the gateway waits for its request body;
 *     0 means {@value #DEFAULT_READ_BODY_TIMEOUT_SECONDS}
 * @param minBodyRate not Tyk's: bytes per second a request body must average over each
 *     {@value #BODY_RATE_WINDOW_SECONDS} s the gateway waits for it; absent means {@value #DEFAULT_MIN_BODY_RATE},
 *     0 means no minimum
 * @param enablePathPrefixMatching endpoint plugin paths match from the start of the path ({@code ^} added)
 * @param enablePathSuffixMatching endpoint plugin paths match to the end of the path ({@code $} added)
 */
public record HttpServerOptions(
        Integer readTimeout,
        Integer writeTimeout,
        Integer flushInterval,
        boolean useSsl,
        List<ServerCertificate> certificates,
        List<String> sslCertificates,
        Integer minVersion,
        boolean enableHttp2,
        boolean enableWebsockets,
        Long maxRequestBodySize,
        Integer streamIdleTimeout,
        Integer readHeaderTimeout,
        Integer readBodyTimeout,
        Integer minBodyRate,
        boolean enablePathPrefixMatching,
        boolean enablePathSuffixMatching) {

    public static final int DEFAULT_TIMEOUT_SECONDS = 120;
    /** An hour, as HAProxy setups commonly give {@code timeout tunnel}: chat-like WebSockets rest for minutes. */
    public static final int DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS = 3600;
    /**
     * Go's servers are often given 10 s of {@code ReadHeaderTimeout}, HAProxy's {@code timeout http-request} is
     * commonly 10 s: a real client sends its head in one packet, or a few within milliseconds.
     */
    public static final int DEFAULT_READ_HEADER_TIMEOUT_SECONDS = 10;
    /** nginx's {@code client_body_timeout} is 60 s, HAProxy setups give {@code timeout client} 30 s. */
    public static final int DEFAULT_READ_BODY_TIMEOUT_SECONDS = 30;
    /** Apache's {@code mod_reqtimeout} asks 500 bytes a second of a body by default: a 4 kbit/s link. */
    public static final int DEFAULT_MIN_BODY_RATE = 500;
    /** The span over which {@code min_body_rate} is averaged; a body that ends sooner is never measured. */
    public static final int BODY_RATE_WINDOW_SECONDS = 10;
    public static final int TLS_1_2 = 771;
    public static final int TLS_1_3 = TlsContexts.TYK_TLS_1_3;
    public static final HttpServerOptions DEFAULTS =
            new HttpServerOptions(null, null, null, false, null, null, null, false, false, null, null, null, null, null,
                    false, false);

    public HttpServerOptions {
        readTimeout = readTimeout == null || readTimeout <= 0 ? DEFAULT_TIMEOUT_SECONDS : readTimeout;
        writeTimeout = writeTimeout == null || writeTimeout <= 0 ? DEFAULT_TIMEOUT_SECONDS : writeTimeout;
        flushInterval = flushInterval == null || flushInterval < 0 ? 0 : flushInterval;
        certificates = certificates == null ? List.of() : List.copyOf(certificates);
        sslCertificates = sslCertificates == null ? List.of() : List.copyOf(sslCertificates);
        minVersion = minVersion == null || minVersion == 0 ? TLS_1_2 : minVersion;
        maxRequestBodySize = maxRequestBodySize == null || maxRequestBodySize < 0 ? 0L : maxRequestBodySize;
        streamIdleTimeout = streamIdleTimeout == null || streamIdleTimeout <= 0 ? DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS
                : streamIdleTimeout;
        readHeaderTimeout = readHeaderTimeout == null || readHeaderTimeout <= 0 ? DEFAULT_READ_HEADER_TIMEOUT_SECONDS
                : readHeaderTimeout;
        readBodyTimeout = readBodyTimeout == null || readBodyTimeout <= 0 ? DEFAULT_READ_BODY_TIMEOUT_SECONDS
                : readBodyTimeout;
        minBodyRate = minBodyRate == null ? DEFAULT_MIN_BODY_RATE : Math.max(0, minBodyRate);
    }

    /** One entry of {@code certificates}: a domain and its PEM certificate and key files. */
    public record ServerCertificate(String domainName, String certFile, String keyFile) {
    }
}
