package dev.gateway.http;

import dev.gateway.core.lb.Target;

/**
 * Where an upstream connection goes and how, which is exactly what decides whether a pooled connection can be
 * reused. Compiled at load; equal endpoints from two APIs, or from two snapshots, share pooled connections.
 *
 * @param sniHost the name sent in SNI and checked against the certificate
 * @param http2 the upstream speaks HTTP/2: with prior knowledge in cleartext ({@code h2c://}), by ALPN over TLS
 */
public record UpstreamEndpoint(String host, int port, boolean tls, boolean insecureSkipVerify, String sniHost,
        boolean http2) {

    public static UpstreamEndpoint of(Target target, boolean insecureSkipVerify) {
        return new UpstreamEndpoint(target.host(), target.port(), target.tls(), target.tls() && insecureSkipVerify,
                target.host(), target.scheme().equals("h2c"));
    }

    /** The same upstream, spoken to over HTTP/2. */
    public UpstreamEndpoint overHttp2() {
        return http2 ? this : new UpstreamEndpoint(host, port, tls, insecureSkipVerify, sniHost, true);
    }

    /** The same upstream, spoken to over HTTP/1.1 (a protocol switch needs it). */
    public UpstreamEndpoint overHttp1() {
        return http2 ? new UpstreamEndpoint(host, port, tls, insecureSkipVerify, sniHost, false) : this;
    }

    @Override
    public String toString() {
        String scheme = tls ? (http2 ? "https+h2://" : "https://") : (http2 ? "h2c://" : "http://");
        return scheme + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
