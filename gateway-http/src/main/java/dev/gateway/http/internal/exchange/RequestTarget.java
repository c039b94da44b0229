package dev.gateway.http.internal.exchange;

/**
 * The parts of a request target the router needs: path, query and host. The path is the one {@link PathPolicy}
 * makes canonical: routing, filters and the upstream all see it. Accepts origin form ({@code /a?b}) and
 * absolute form ({@code http://host/a?b}, whose host wins over the {@code Host} header, RFC 9112 section 3.2.2).
 *
 * @param query the raw query without {@code ?}, or {@code null} when there is none
 */
public record RequestTarget(String path, String query, String host) {

    /** The parsed target, or {@code null} when it is not a form a reverse proxy serves. */
    public static RequestTarget parse(String uri, String hostHeader) {
        String host = hostHeader;
        String rest = uri;
        if (!uri.startsWith("/")) {
            int scheme = uri.indexOf("://");
            if (scheme <= 0 || !(uri.regionMatches(true, 0, "http", 0, scheme))) {
                return null;
            }
            int pathStart = uri.indexOf('/', scheme + 3);
            int queryStart = uri.indexOf('?', scheme + 3);
            int authorityEnd = pathStart < 0 ? (queryStart < 0 ? uri.length() : queryStart)
                    : (queryStart < 0 ? pathStart : Math.min(pathStart, queryStart));
            host = uri.substring(scheme + 3, authorityEnd);
            rest = authorityEnd == uri.length() ? "/" : uri.substring(authorityEnd);
            if (rest.startsWith("?")) {
                rest = "/" + rest;
            }
        }
        int question = rest.indexOf('?');
        String path = question < 0 ? rest : rest.substring(0, question);
        String query = question < 0 ? null : rest.substring(question + 1);
        int hash = path.indexOf('#');
        if (hash >= 0) {
            path = path.substring(0, hash);
        }
        String canonical = PathPolicy.canonical(path);
        return canonical == null ? null : new RequestTarget(canonical, query, host);
    }
}
