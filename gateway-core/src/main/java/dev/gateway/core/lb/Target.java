package dev.gateway.core.lb;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * One upstream, parsed once at load.
 *
 * @param scheme lower-case scheme ({@code http}, {@code https}, ...)
 * @param host host name or address to connect to, without IPv6 brackets
 * @param port port to connect to; the scheme's default when the URL has none
 * @param hostHeader the authority as written, for the {@code Host} header
 * @param basePath the URL's path, empty when it has none; requests are joined onto it
 * @param query the URL's raw query, empty when it has none; merged before the request's own query
 * @param raw the text the user wrote
 */
public record Target(String scheme, String host, int port, String hostHeader, String basePath, String query,
        String raw) {

    /** True when the scheme needs TLS to the upstream. */
    public boolean tls() {
        return scheme.equals("https") || scheme.equals("wss") || scheme.equals("tls");
    }

    /** {@code host:port}, for logs and health matching. */
    public String hostPort() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
        return raw;
    }

    /**
     * Parses an upstream URL.
     *
     * @throws IllegalArgumentException with a reason fit for a load problem
     */
    public static Target parse(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new IllegalArgumentException("is empty");
        }
        URI uri;
        try {
            uri = new URI(raw.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + raw + "' is not a URL: " + e.getReason());
        }
        if (uri.getScheme() == null) {
            throw new IllegalArgumentException("'" + raw + "' has no scheme (expected http:// or https://)");
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        String authority = uri.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            throw new IllegalArgumentException("'" + raw + "' has no host");
        }
        int at = authority.lastIndexOf('@');
        String hostHeader = at >= 0 ? authority.substring(at + 1) : authority;
        String host = uri.getHost();
        int port = uri.getPort();
        if (host == null) {
            // java.net.URI gives up on names that are not RFC 2396 host names, such as Docker service names
            // with underscores; Go, and so Tyk, accepts them. Split the authority ourselves.
            HostAndPort split = HostAndPort.split(hostHeader, raw);
            host = split.host;
            port = split.port;
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("'" + raw + "' has no host");
        }
        port = port > 0 ? port : defaultPort(scheme);
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("'" + raw + "' has no usable port");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
        return new Target(scheme, host.toLowerCase(Locale.ROOT), port, hostHeader, path, query, raw.trim());
    }

    /** A host and port split by hand, for names {@link URI} rejects. */
    private record HostAndPort(String host, int port) {
        static HostAndPort split(String authority, String raw) {
            int colon = authority.lastIndexOf(':');
            String host = colon >= 0 ? authority.substring(0, colon) : authority;
            int port = -1;
            if (colon >= 0 && colon < authority.length() - 1) {
                try {
                    port = Integer.parseInt(authority.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + raw + "' has an invalid port");
                }
            }
            for (int i = 0; i < host.length(); i++) {
                char c = host.charAt(i);
                if (!(Character.isLetterOrDigit(c) || c == '-' || c == '.' || c == '_')) {
                    throw new IllegalArgumentException("'" + raw + "' has an invalid host");
                }
            }
            return new HostAndPort(host, port);
        }
    }

    private static int defaultPort(String scheme) {
        return switch (scheme) {
            case "http", "ws", "h2c" -> 80;
            case "https", "wss" -> 443;
            default -> -1;
        };
    }
}
