package dev.gateway.http;

import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.HttpServerOptions;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP proxy's settings, compiled once from {@code tyk.conf} with units resolved.
 *
 * @param readTimeoutNanos a client's whole request head, and each silence while it sends a body or idles
 *     between requests
 * @param writeTimeoutNanos how long a client may refuse bytes we have for it
 * @param proxyTimeoutNanos how long an upstream may take to connect, to answer, or stay silent mid-response
 * @param flushIntervalNanos 0 flushes at the end of each upstream read; above 0, known-length responses are
 *     flushed at most this often
 * @param maxRequestBodySize bytes, 0 for no limit
 * @param maxIdlePerHost idle upstream connections kept per event loop per upstream
 * @param closeConnections no keep-alive on either side
 * @param insecureSkipVerify {@code proxy_ssl_insecure_skip_verify}
 * @param http2 {@code enable_http2}: TLS listeners offer ALPN {@code h2}, cleartext ones accept h2c
 * @param proxyHttp2 {@code proxy_enable_http2}: {@code https} upstreams are asked for {@code h2} by ALPN
 * @param upstreamPingIntervalNanos an upstream HTTP/2 connection silent this long gets a PING, and is closed when
 *     it stays silent as long again; one that carries no stream is closed after this long. Not in Tyk's
 *     configuration: {@link #DEFAULT_UPSTREAM_PING_INTERVAL_NANOS}
 * @param websockets {@code enable_websockets}: upgrade requests (and HTTP/2 extended CONNECT) become WebSockets
 * @param streamIdleTimeoutNanos {@code stream_idle_timeout}: a WebSocket silent both ways, or an event stream whose
 *     upstream is silent, this long is closed
 * @param readHeaderTimeoutNanos {@code read_header_timeout}: a request head that began must end within this, or
 *     the client gets 408 and the connection closes
 * @param readBodyTimeoutNanos {@code read_body_timeout}: a client silent this long while the gateway waits for its
 *     request body gets 408 and a close
 * @param minBodyRate {@code min_body_rate}: bytes per second a request body must average over each
 *     {@link HttpServerOptions#BODY_RATE_WINDOW_SECONDS} the gateway waits for it, or 408 and a close; 0: no minimum
 */
public record HttpSettings(
        long readTimeoutNanos,
        long writeTimeoutNanos,
        long proxyTimeoutNanos,
        long flushIntervalNanos,
        long maxRequestBodySize,
        int maxIdlePerHost,
        boolean closeConnections,
        boolean insecureSkipVerify,
        boolean http2,
        boolean proxyHttp2,
        long upstreamPingIntervalNanos,
        boolean websockets,
        long streamIdleTimeoutNanos,
        long readHeaderTimeoutNanos,
        long readBodyTimeoutNanos,
        int minBodyRate) {

    /**
     * Longest request line. Longer gets 414. Matches nginx's default {@code large_client_header_buffers} of 8k.
     */
    public static final int MAX_REQUEST_LINE = 8 * 1024;

    /** Largest request head (all header lines together). Larger gets 431. */
    public static final int MAX_REQUEST_HEADERS = 16 * 1024;

    /**
     * Largest upstream response head. Upstreams are trusted more than clients, but not without bound: a larger
     * head is a 502.
     */
    public static final int MAX_RESPONSE_HEADERS = 64 * 1024;

    /** Largest body piece the codecs hand on at once; bigger reads are split, never gathered. */
    public static final int MAX_CHUNK = 64 * 1024;

    /** Idle upstream connections older than this are closed. Below common upstream keep-alive timeouts (60s+). */
    public static final long UPSTREAM_IDLE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(55);

    /**
     * Streams one HTTP/2 client connection may have open at once ({@code SETTINGS_MAX_CONCURRENT_STREAMS}). Each
     * holds at most one stream window of unread request bytes, so this bounds a connection's buffered bytes.
     */
    public static final int H2_MAX_CONCURRENT_STREAMS = 1000;

    /**
     * Streams of one HTTP/2 client connection that may be reset within {@link #H2_RESET_WINDOW_SECONDS}, counted
     * apart for resets the client sends (rapid reset, CVE-2023-44487) and resets the gateway sends because the client
     * broke the protocol on a stream (MadeYouReset, CVE-2025-8671). A reset stream stops counting against
     * {@link #H2_MAX_CONCURRENT_STREAMS} while its work may go on, so past this bound the connection gets GOAWAY
     * {@code ENHANCE_YOUR_CALM} and is closed. Netty's own default for servers; a well-behaved client resets a few
     * streams a minute (cancelled calls), and breaks the protocol on none.
     */
    public static final int H2_MAX_RESETS_PER_WINDOW = 200;

    /**
     * Control frames (PING and SETTINGS acks, resets) one HTTP/2 client connection may have waiting to be written
     * before it gets GOAWAY {@code ENHANCE_YOUR_CALM} and is closed. A client that reads has a handful waiting at
     * most; one that floods PINGs and never reads fills this within one read.
     */
    public static final int H2_MAX_QUEUED_CONTROL_FRAMES = 1000;

    /**
     * SETTINGS frames one HTTP/2 client connection may send within {@link #H2_SETTINGS_WINDOW_SECONDS} before it gets
     * GOAWAY {@code ENHANCE_YOUR_CALM}. A client sends one when it connects and seldom another.
     */
    public static final int H2_MAX_SETTINGS_PER_WINDOW = 100;

    /** The window of {@link #H2_MAX_SETTINGS_PER_WINDOW}. */
    public static final int H2_SETTINGS_WINDOW_SECONDS = 10;

    /** The window of {@link #H2_MAX_RESETS_PER_WINDOW}. */
    public static final int H2_RESET_WINDOW_SECONDS = 30;

    /**
     * HTTP/2 flow-control window of each stream, both towards clients and towards upstreams: how many bytes a
     * peer may send on a stream before the gateway has passed them on. HTTP/2's default of 64 KiB caps one stream at
     * 64 KiB per round trip, which slows large uploads and downloads.
     */
    public static final int H2_STREAM_WINDOW = 256 * 1024;

    /**
     * HTTP/2 flow-control window of a whole connection: the most a peer may have sent, on all its streams together,
     * that the gateway has not yet passed on. This bounds the buffered bytes of one HTTP/2 connection.
     */
    public static final int H2_CONNECTION_WINDOW = 1024 * 1024;

    /**
     * Streams the gateway opens on one upstream HTTP/2 connection until the upstream's SETTINGS say how many it
     * allows; a new connection is opened beyond that.
     */
    public static final int H2_UPSTREAM_STREAMS_BEFORE_SETTINGS = 100;

    /** See {@code upstreamPingIntervalNanos}. */
    public static final long DEFAULT_UPSTREAM_PING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** Settings from a loaded {@code tyk.conf}. */
    public static HttpSettings from(GatewayConfig config) {
        HttpServerOptions http = config.httpServerOptions();
        return new HttpSettings(
                TimeUnit.SECONDS.toNanos(http.readTimeout()),
                TimeUnit.SECONDS.toNanos(http.writeTimeout()),
                TimeUnit.SECONDS.toNanos(config.proxyDefaultTimeout()),
                TimeUnit.MILLISECONDS.toNanos(http.flushInterval()),
                http.maxRequestBodySize(),
                config.maxIdleConnectionsPerHost(),
                config.closeConnections(),
                config.proxySslInsecureSkipVerify(),
                http.enableHttp2(),
                config.proxyEnableHttp2(),
                DEFAULT_UPSTREAM_PING_INTERVAL_NANOS,
                http.enableWebsockets(),
                TimeUnit.SECONDS.toNanos(http.streamIdleTimeout()),
                TimeUnit.SECONDS.toNanos(http.readHeaderTimeout()),
                TimeUnit.SECONDS.toNanos(http.readBodyTimeout()),
                http.minBodyRate());
    }

    /** These settings with another upstream PING interval (tests use a short one). */
    public HttpSettings withUpstreamPingInterval(long nanos) {
        return new HttpSettings(readTimeoutNanos, writeTimeoutNanos, proxyTimeoutNanos, flushIntervalNanos,
                maxRequestBodySize, maxIdlePerHost, closeConnections, insecureSkipVerify, http2, proxyHttp2,
                nanos, websockets, streamIdleTimeoutNanos, readHeaderTimeoutNanos, readBodyTimeoutNanos, minBodyRate);
    }

    /** These settings with another stream idle timeout (tests use a short one). */
    public HttpSettings withStreamIdleTimeout(long nanos) {
        return new HttpSettings(readTimeoutNanos, writeTimeoutNanos, proxyTimeoutNanos, flushIntervalNanos,
                maxRequestBodySize, maxIdlePerHost, closeConnections, insecureSkipVerify, http2, proxyHttp2,
                upstreamPingIntervalNanos, websockets, nanos, readHeaderTimeoutNanos, readBodyTimeoutNanos, minBodyRate);
    }
}
