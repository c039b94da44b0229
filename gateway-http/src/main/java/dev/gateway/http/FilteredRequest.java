package dev.gateway.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * One request as a route's {@link RequestFilter}s see it, and what they chose for its exchange. It is created
 * only for routes that have filters, once per request, and read by the exchange that follows; everything here
 * runs on the connection's event loop.
 *
 * <p>What a filter sees: the head as the client sent it (a filter may change its headers, which later filters
 * and the upstream see), the canonical path the route matched ({@code //} merged, dot segments and encoded
 * slashes already refused), the raw query, the route, the real client after a PROXY protocol header, and the
 * certificates the client presented over TLS.
 *
 * <p>What a filter may choose for the exchange: another upstream path ({@link #rewrite}), a shorter wait for the
 * response head ({@link #limitResponseWait}), a smaller body ({@link #limitBody}), and a listener for how the
 * exchange ended ({@link #onEnd}), which hears every request that passed the filter exactly once, whatever became
 * of it afterwards.
 */
public final class FilteredRequest {

    private final HttpRequest head;
    private final Route route;
    private final InetSocketAddress client;
    private final String connectionId;
    private final String path;
    private final String query;
    /** The TLS session of the client's connection; {@code null} for a request that came in cleartext. */
    private final Supplier<SSLSession> tlsSession;

    private String upstreamPath;
    private String upstreamQuery;
    private long responseWaitNanos;
    private long bodyLimit;
    private ExchangeEnd ends;
    private boolean ended;
    /** Values filters keep for each other, as key, value, key, value; {@code null} until the first. */
    private Object[] values;
    /** The query's parameters, decoded on first use; {@code null} until then. */
    private Map<String, List<String>> parameters;
    /** The client's certificate chain, read on first use; {@code null} until then. */
    private List<X509Certificate> peerCertificates;

    /**
     * A name for a value one filter keeps on the request for another, such as the path as endpoint rules match it,
     * or an authenticated session. Keys are compared by identity: make each one a constant.
     */
    public static final class Key<T> {
        private final String name;

        public Key(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * @param head the request line and headers; an HTTP/2 request in its HTTP/1.1 form
     * @param route the API's route
     * @param client the real client, after a PROXY protocol header
     * @param connectionId the client connection's id, as log lines name it
     * @param path the canonical request path, listen path included, as the route matched it
     * @param query the raw query without {@code ?}, or {@code null} when there is none
     */
    public FilteredRequest(HttpRequest head, Route route, InetSocketAddress client, String connectionId, String path,
            String query) {
        this(head, route, client, connectionId, path, query, null);
    }

    /**
     * As {@link #FilteredRequest(HttpRequest, Route, InetSocketAddress, String, String, String)}, for a request that
     * came over TLS.
     *
     * @param tlsSession the TLS session of the client's connection, read only when a filter asks; {@code null}
     *     when the request came in cleartext
     */
    public FilteredRequest(HttpRequest head, Route route, InetSocketAddress client, String connectionId, String path,
            String query, Supplier<SSLSession> tlsSession) {
        this.tlsSession = tlsSession;
        this.head = head;
        this.route = route;
        this.client = client;
        this.connectionId = connectionId;
        this.path = path;
        this.query = query;
    }

    public HttpRequest head() {
        return head;
    }

    public Route route() {
        return route;
    }

    public InetSocketAddress client() {
        return client;
    }

    public String connectionId() {
        return connectionId;
    }

    /** The canonical path, listen path included: the one the route matched and filters match on. */
    public String path() {
        return path;
    }

    /** The raw query without {@code ?}; {@code null} when the request has none. */
    public String query() {
        return query;
    }

    /** Whether the request came over TLS. */
    public boolean tls() {
        return tlsSession != null;
    }

    /**
     * The certificate chain the client presented in its TLS handshake, leaf first; empty when it presented none
     * (the listener may not have asked), or when the request came in cleartext. What the handshake checked of it
     * depends on the listener; the chain is as the client sent it.
     */
    public List<X509Certificate> peerCertificates() {
        if (peerCertificates == null) {
            peerCertificates = readPeerCertificates();
        }
        return peerCertificates;
    }

    private List<X509Certificate> readPeerCertificates() {
        SSLSession session = tlsSession == null ? null : tlsSession.get();
        if (session == null) {
            return List.of();
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            List<X509Certificate> certificates = new ArrayList<>(chain.length);
            for (Certificate certificate : chain) {
                if (certificate instanceof X509Certificate x509) {
                    certificates.add(x509);
                }
            }
            return List.copyOf(certificates);
        } catch (SSLPeerUnverifiedException e) {
            return List.of(); // no certificate: the handshake did not ask for one, or the client had none
        }
    }

    /** The values of the query parameter {@code name}, decoded; empty when there are none. */
    public List<String> queryParameter(String name) {
        if (query == null) {
            return List.of();
        }
        if (parameters == null) {
            parameters = new QueryStringDecoder(query, false).parameters();
        }
        List<String> found = parameters.get(name);
        return found == null ? List.of() : found;
    }

    /** The value of the cookie {@code name} the request carries; empty when it carries none. */
    public String cookie(String name) {
        for (String line : head.headers().getAll(HttpHeaderNames.COOKIE)) {
            for (Cookie cookie : ServerCookieDecoder.LAX.decode(line)) {
                if (cookie.name().equals(name)) {
                    return cookie.value();
                }
            }
        }
        return "";
    }

    /** The value kept under {@code key}; {@code null} when none is. */
    @SuppressWarnings("unchecked")
    public <T> T get(Key<T> key) {
        if (values != null) {
            for (int i = 0; i < values.length && values[i] != null; i += 2) {
                if (values[i] == key) {
                    return (T) values[i + 1];
                }
            }
        }
        return null;
    }

    /** Keeps {@code value} under {@code key}, in place of what was kept there. */
    public <T> void set(Key<T> key, T value) {
        if (values == null) {
            values = new Object[4];
        }
        int i = 0;
        while (i < values.length && values[i] != null && values[i] != key) {
            i += 2;
        }
        if (i == values.length) {
            values = java.util.Arrays.copyOf(values, values.length * 2);
        }
        values[i] = key;
        values[i + 1] = value;
    }

    // ---- what the filters chose -----------------------------------------------------------------------------------

    /**
     * Sends the request to another path of the target: {@code upstreamPath} is joined onto the target's own path
     * as it is, with no listen path stripped, and {@code upstreamQuery} (raw, without {@code ?}; {@code null} for
     * none) replaces the request's query.
     */
    public void rewrite(String upstreamPath, String upstreamQuery) {
        if (!upstreamPath.startsWith("/")) {
            throw new IllegalArgumentException("an upstream path starts with '/': " + upstreamPath);
        }
        this.upstreamPath = upstreamPath;
        this.upstreamQuery = upstreamQuery;
    }

    /** The path a filter rewrote the request to, joined onto the target's; {@code null} when none did. */
    public String upstreamPath() {
        return upstreamPath;
    }

    /** The query that goes with {@link #upstreamPath()}. */
    public String upstreamQuery() {
        return upstreamQuery;
    }

    /**
     * Bounds the wait for the upstream's response head (a {@code 101} included) to {@code nanos}, counted as
     * {@code proxy_default_timeout} is: from the end of the request, or from when the upstream stopped taking its
     * body. A shorter bound than one already set wins. A response that has begun is never cut by it.
     */
    public void limitResponseWait(long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException("a response wait is positive: " + nanos);
        }
        responseWaitNanos = responseWaitNanos == 0 ? nanos : Math.min(responseWaitNanos, nanos);
    }

    /** The bound on the wait for the response head, in nanoseconds; 0 when no filter set one. */
    public long responseWaitNanos() {
        return responseWaitNanos;
    }

    /**
     * Bounds the request body to {@code bytes}, counted as it streams: past it the exchange fails with
     * {@link ProxyFailure#BODY_TOO_LARGE}. A smaller bound than one already set (or the listener's) wins.
     */
    public void limitBody(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("a body limit is positive: " + bytes);
        }
        bodyLimit = bodyLimit == 0 ? bytes : Math.min(bodyLimit, bytes);
    }

    /** The body bound a filter set, in bytes; 0 when none did. */
    public long bodyLimit() {
        return bodyLimit;
    }

    /** Adds {@code listener}, told once how the exchange ended. Listeners hear it in the order they were added. */
    public void onEnd(ExchangeEnd listener) {
        Objects.requireNonNull(listener, "listener");
        ExchangeEnd before = ends;
        ends = before == null ? listener : (status, rpcStatus, failure) -> {
            before.ended(status, rpcStatus, failure);
            listener.ended(status, rpcStatus, failure);
        };
    }

    /**
     * Tells the end listeners, once; later calls do nothing. For the gateway's own use.
     *
     * @param status the HTTP status the client got, 0 when the client left before it got one
     * @param rpcStatus the gRPC status the client got, -1 for none
     * @param failure what failed the exchange, {@code null} for nothing
     */
    public void end(int status, int rpcStatus, ProxyFailure failure) {
        if (ended) {
            return;
        }
        ended = true;
        if (ends != null) {
            ends.ended(status, rpcStatus, failure);
        }
    }
}
