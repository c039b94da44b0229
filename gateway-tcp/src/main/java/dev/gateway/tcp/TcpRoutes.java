package dev.gateway.tcp;

import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one TCP port serves, compiled at load: its APIs by {@code domain}, and for a {@code tls} port the
 * certificates picked by SNI. A connection goes to the API whose domain equals the client's SNI, else to one
 * whose {@code *.domain} wildcard covers it, else to the API without a domain. Tyk needs
 * {@code enable_custom_domains} for this, and two domain-less APIs there overwrite each other; here a second one
 * is a load error.
 *
 * @param certificates SNI to certificate for a {@code tls} port; {@code null} for a plain {@code tcp} one
 * @param proxyProtocol connections start with a PROXY protocol header: an API on the port sets
 *     {@code enable_proxy_protocol}
 */
public record TcpRoutes(Map<String, TcpService> exact, List<Wildcard> wildcards, TcpService fallback,
        Mapping<String, SslContext> certificates, boolean proxyProtocol) {

    /** A {@code *.example.com} domain: {@code suffix} is {@code .example.com}. */
    public record Wildcard(String suffix, TcpService service) {
    }

    public TcpRoutes {
        exact = Map.copyOf(exact);
        wildcards = List.copyOf(wildcards);
    }

    /** Routes for a port's services, each by its API's {@code domain}. */
    public static TcpRoutes of(List<TcpService> services, Mapping<String, SslContext> certificates) {
        Map<String, TcpService> exact = new HashMap<>();
        List<Wildcard> wildcards = new ArrayList<>();
        TcpService fallback = null;
        boolean proxyProtocol = false;
        for (TcpService service : services) {
            proxyProtocol |= service.api().enableProxyProtocol();
            String domain = service.api().domain().toLowerCase(Locale.ROOT);
            if (domain.isEmpty()) {
                fallback = service;
            } else if (domain.startsWith("*.")) {
                wildcards.add(new Wildcard(domain.substring(1), service));
            } else {
                exact.put(domain, service);
            }
        }
        // The longest wildcard wins: *.eu.example.com before *.example.com.
        wildcards.sort((a, b) -> Integer.compare(b.suffix().length(), a.suffix().length()));
        return new TcpRoutes(exact, wildcards, fallback, certificates, proxyProtocol);
    }

    /** The service for a client's SNI name ({@code null} when it sent none), or {@code null} for none. */
    public TcpService match(String serverName) {
        if (serverName != null && !serverName.isEmpty()) {
            String name = serverName.toLowerCase(Locale.ROOT);
            TcpService service = exact.get(name);
            if (service != null) {
                return service;
            }
            for (Wildcard wildcard : wildcards) {
                if (name.endsWith(wildcard.suffix()) && name.length() > wildcard.suffix().length()) {
                    return wildcard.service();
                }
            }
        }
        return fallback;
    }

    /**
     * Whether a plain {@code tcp} port tells its services apart by the SNI of a ClientHello it passes through
     * untouched: some service on it has a {@code domain}.
     */
    public boolean peeksSni() {
        return certificates == null && (!exact.isEmpty() || !wildcards.isEmpty());
    }

    /** Whether connections on this port start with TLS, which the gateway terminates. */
    public boolean terminatesTls() {
        return certificates != null;
    }
}
