package dev.gateway.http.internal;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Header changes at the proxy boundary, made in place on the decoded message so nothing is copied.
 *
 * <p>Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one connection and are removed: {@code Connection}
 * and every header it lists, {@code Keep-Alive}, {@code Proxy-*}, {@code TE} except {@code trailers},
 * {@code Transfer-Encoding} (the encoder frames the body again) and {@code Upgrade}.
 */
public final class HeaderRewriter {

    private static final AsciiString PROXY_PREFIX = AsciiString.cached("proxy-");
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");

    private HeaderRewriter() {
    }

    /** Removes hop-by-hop headers. Keeps {@code TE: trailers}, the one TE value that crosses a proxy. */
    public static void stripHopByHop(HttpHeaders headers) {
        List<String> connection = headers.getAll(HttpHeaderNames.CONNECTION);
        for (String field : connection) {
            for (String token : field.split(",")) {
                String name = token.trim();
                if (!name.isEmpty()) {
                    headers.remove(name);
                }
            }
        }
        headers.remove(HttpHeaderNames.CONNECTION);
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        headers.remove(HttpHeaderNames.UPGRADE);
        boolean trailers = headers.containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true);
        headers.remove(HttpHeaderNames.TE);
        if (trailers) {
            headers.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
        if (hasProxyHeader(headers)) {
            headers.names().stream()
                    .filter(name -> AsciiString.regionMatches(name, true, 0, PROXY_PREFIX, 0, PROXY_PREFIX.length()))
                    .toList()
                    .forEach(headers::remove);
        }
    }

    private static boolean hasProxyHeader(HttpHeaders headers) {
        for (var it = headers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (name.length() >= PROXY_PREFIX.length()
                    && AsciiString.regionMatches(name, true, 0, PROXY_PREFIX, 0, PROXY_PREFIX.length())) {
                return true;
            }
        }
        return false;
    }

    /** Appends the client, scheme and original host to the {@code X-Forwarded-*} lists. */
    public static void addForwarded(HttpHeaders headers, String clientIp, String scheme, String originalHost) {
        append(headers, X_FORWARDED_FOR, clientIp);
        append(headers, X_FORWARDED_PROTO, scheme);
        if (originalHost != null) {
            append(headers, X_FORWARDED_HOST, originalHost);
        }
    }

    private static void append(HttpHeaders headers, AsciiString name, String value) {
        List<String> existing = headers.getAll(name);
        if (existing.isEmpty()) {
            headers.set(name, value);
        } else {
            headers.set(name, String.join(", ", existing) + ", " + value);
        }
    }
}
