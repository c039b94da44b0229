package dev.gateway.http.internal;

import dev.gateway.core.lb.Target;

/**
 * Where an upstream connection goes and how, which is exactly what decides whether a pooled connection can be
 * reused. Compiled at load; equal endpoints from two APIs, or from two snapshots, share pooled connections.
 *
 * @param sniHost the name sent in SNI and checked against the certificate
 */
public record UpstreamEndpoint(String host, int port, boolean tls, boolean insecureSkipVerify, String sniHost) {

    public static UpstreamEndpoint of(Target target, boolean insecureSkipVerify) {
        return new UpstreamEndpoint(target.host(), target.port(), target.tls(), target.tls() && insecureSkipVerify,
                target.host());
    }

    @Override
    public String toString() {
        return (tls ? "https://" : "http://") + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
