package dev.gateway.http.internal.exchange;

import dev.gateway.core.lb.Target;
import dev.gateway.http.HeaderTokens;
import dev.gateway.http.Route;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;

/**
 * Header changes at the proxy boundary, made in place on the decoded message so nothing is copied.
 *
 * <p>Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one connection and are removed: {@code Connection}
 * and every header it lists, {@code Keep-Alive}, {@code Proxy-*}, {@code TE} except {@code trailers},
 * {@code Transfer-Encoding} (the encoder frames the body again) and {@code Upgrade}.
 */
final class HeaderRewriter {

    /** Netty deprecates its constant because HTTP/2 forbids the header; HTTP/1.1 peers still send it. */
    private static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");
    private static final AsciiString PROXY_PREFIX = AsciiString.cached("proxy-");
    /** Added by Netty's HTTP/2-to-HTTP/1 conversion; it describes one hop's stream and never travels on. */
    private static final AsciiString H2_STREAM_ID = HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text();
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");

    private HeaderRewriter() {
    }

    /** Removes hop-by-hop headers. Keeps {@code TE: trailers}, the one TE value that crosses a proxy. */
    static void stripHopByHop(HttpHeaders headers) {
        // Most messages carry none, or only Connection: one pass over the names decides.
        if (!hasHopByHopName(headers)) {
            return;
        }
        List<String> listed = connectionTokens(headers);
        List<CharSequence> doomed = new ArrayList<>(4);
        boolean trailers = false;
        for (var it = headers.iteratorCharSequence(); it.hasNext(); ) {
            var header = it.next();
            CharSequence name = header.getKey();
            if (isHopByHopName(name) || isListed(name, listed)) {
                if (!trailers && AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TE)) {
                    trailers = AsciiString.containsIgnoreCase(header.getValue(), HttpHeaderValues.TRAILERS);
                }
                doomed.add(name);
            }
        }
        // Netty's header iterator is read-only: remove by name afterwards (each removes every value of a name).
        for (int i = 0; i < doomed.size(); i++) {
            headers.remove(doomed.get(i));
        }
        if (trailers) {
            headers.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
    }

    /** The header names a {@code Connection} header lists, beyond the usual {@code keep-alive} and {@code close}. */
    private static List<String> connectionTokens(HttpHeaders headers) {
        List<String> listed = HeaderTokens.of(headers, HttpHeaderNames.CONNECTION);
        if (listed.isEmpty()) {
            return listed;
        }
        List<String> names = new ArrayList<>(listed.size());
        for (int i = 0; i < listed.size(); i++) {
            String name = listed.get(i);
            if (!name.equalsIgnoreCase("keep-alive") && !name.equalsIgnoreCase("close")) {
                names.add(name);
            }
        }
        return names;
    }

    private static boolean isListed(CharSequence name, List<String> listed) {
        for (int i = 0; i < listed.size(); i++) {
            if (AsciiString.contentEqualsIgnoreCase(name, listed.get(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasHopByHopName(HttpHeaders headers) {
        for (var it = headers.iteratorCharSequence(); it.hasNext(); ) {
            if (isHopByHopName(it.next().getKey())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The fixed hop-by-hop names, the {@code Proxy-} family and the stream id of a converted HTTP/2 message, told
     * apart by length before comparing.
     */
    private static boolean isHopByHopName(CharSequence name) {
        return switch (name.length()) {
            case 2 -> AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TE);
            case 7 -> AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.UPGRADE);
            case 10 -> AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONNECTION)
                    || AsciiString.contentEqualsIgnoreCase(name, KEEP_ALIVE);
            case 17 -> AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING)
                    || AsciiString.contentEqualsIgnoreCase(name, H2_STREAM_ID)
                    || isProxyHeader(name);
            default -> isProxyHeader(name);
        };
    }

    private static boolean isProxyHeader(CharSequence name) {
        return name.length() > PROXY_PREFIX.length()
                && AsciiString.regionMatches(name, true, 0, PROXY_PREFIX, 0, PROXY_PREFIX.length());
    }


    /**
     * Turns a client's request into the upstream's, in place: hop-by-hop headers out (chunked framing kept),
     * {@code X-Forwarded-*} appended, {@code Host} set to the target's unless the API preserves it, the upstream's
     * request target {@code uri}, and HTTP/1.1 towards the upstream.
     */
    static void prepareForUpstream(HttpRequest request, Route route, Target upstream, String uri, String clientIp,
            String scheme, boolean closeConnections) {
        HttpHeaders headers = request.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        String originalHost = headers.get(HttpHeaderNames.HOST);
        stripHopByHop(headers);
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (closeConnections) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        addForwarded(headers, clientIp, scheme, originalHost);
        if (!route.api().proxy().preserveHostHeader() || originalHost == null) {
            headers.set(HttpHeaderNames.HOST, upstream.hostHeader());
        }
        request.setUri(uri);
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /**
     * Frames an upstream's response head for an HTTP/1.x client, in place: chunked when the upstream gave no length
     * (HTTP/1.0 has no chunks, so such a body ends with the connection instead), {@code Connection} to match, and
     * the client's version.
     *
     * @param bodyless the response has no body (an answer to HEAD, a 204 or a 304)
     * @param keepAlive whether the client connection is to stay open after this response
     * @return whether it still can
     */
    static boolean frameForHttp1(HttpResponse response, boolean bodyless, boolean hasLength, boolean http10,
            boolean keepAlive) {
        HttpHeaders headers = response.headers();
        boolean open = keepAlive;
        if (!bodyless && !hasLength) {
            if (http10) {
                open = false;
            } else {
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        }
        if (!open) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        response.setProtocolVersion(http10 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1);
        return open;
    }

    /** Appends the client, scheme and original host to the {@code X-Forwarded-*} lists. */
    private static void addForwarded(HttpHeaders headers, String clientIp, String scheme, String originalHost) {
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
