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

    /** Netty deprecates its constant because HTTP/2 forbids the header; HTTP/1.1 peers still send it. */
    private static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");
    private static final AsciiString PROXY_PREFIX = AsciiString.cached("proxy-");
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");

    private HeaderRewriter() {
    }

    /** Removes hop-by-hop headers. Keeps {@code TE: trailers}, the one TE value that crosses a proxy. */
    public static void stripHopByHop(HttpHeaders headers) {
        // Most messages carry none, or only Connection: one pass over the names decides.
        if (!hasHopByHopName(headers)) {
            return;
        }
        for (String field : headers.getAll(HttpHeaderNames.CONNECTION)) {
            if (field.indexOf(',') < 0) {
                removeListed(headers, field);
            } else {
                for (String token : field.split(",")) {
                    removeListed(headers, token);
                }
            }
        }
        headers.remove(HttpHeaderNames.CONNECTION);
        headers.remove(KEEP_ALIVE);
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        headers.remove(HttpHeaderNames.UPGRADE);
        boolean trailers = headers.containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true);
        headers.remove(HttpHeaderNames.TE);
        if (trailers) {
            headers.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
        if (hasProxyHeader(headers)) {
            headers.names().stream()
                    .filter(HeaderRewriter::isProxyHeader)
                    .toList()
                    .forEach(headers::remove);
        }
    }

    private static void removeListed(HttpHeaders headers, String token) {
        String name = token.trim();
        if (!name.isEmpty()) {
            headers.remove(name);
        }
    }

    private static boolean hasHopByHopName(HttpHeaders headers) {
        for (var it = headers.iteratorCharSequence(); it.hasNext(); ) {
            if (isHopByHopName(it.next().getKey())) {
                return true;
            }
        }
        return false;
    }

    /** The fixed hop-by-hop names and the {@code Proxy-} family, told apart by length before comparing. */
    private static boolean isHopByHopName(CharSequence name) {
        return switch (name.length()) {
            case 2 -> AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TE);
            case 7 -> AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.UPGRADE);
            case 10 -> AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONNECTION)
                    || AsciiString.contentEqualsIgnoreCase(name, KEEP_ALIVE);
            case 17 -> AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING)
                    || isProxyHeader(name);
            default -> isProxyHeader(name);
        };
    }

    private static boolean isProxyHeader(CharSequence name) {
        return name.length() > PROXY_PREFIX.length()
                && AsciiString.regionMatches(name, true, 0, PROXY_PREFIX, 0, PROXY_PREFIX.length());
    }

    private static boolean hasProxyHeader(HttpHeaders headers) {
        for (var it = headers.iteratorCharSequence(); it.hasNext(); ) {
            if (isProxyHeader(it.next().getKey())) {
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
        if (!headers.contains(name)) {
            headers.add(name, value);
            return;
        }
        List<String> existing = headers.getAll(name);
        if (existing.isEmpty()) {
            headers.set(name, value);
        } else {
            headers.set(name, String.join(", ", existing) + ", " + value);
        }
    }
}
