package dev.gateway.http.internal.server;

import dev.gateway.http.HeaderTokens;
import dev.gateway.http.ProxyFailure;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.List;

/**
 * What a request head must satisfy before it is proxied. Each check returns the failure to answer with, or
 * {@code null}. Framing is judged strictly, because a proxy and its upstream that disagree on where a request
 * ends can be made to smuggle a second request past the proxy.
 */
public final class RequestChecks {

    private RequestChecks() {
    }

    /** The failure behind a request the decoder could not read. */
    public static ProxyFailure decodeFailure(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return ProxyFailure.URI_TOO_LONG;
        }
        if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
            return ProxyFailure.HEADERS_TOO_LARGE;
        }
        return ProxyFailure.BAD_REQUEST;
    }

    /**
     * Host, framing and size checks.
     *
     * @param maxBodySize bytes, 0 for no limit; a declared length above it fails at once, a chunked body when
     *     it crosses the limit
     */
    public static ProxyFailure check(HttpRequest request, long maxBodySize) {
        // Netty reads any HTTP/x.y; this listener speaks 1.0 and 1.1 (HTTP/2 arrives by preface or ALPN).
        HttpVersion version = request.protocolVersion();
        if (version.majorVersion() != 1 || version.minorVersion() > 1) {
            return ProxyFailure.HTTP_VERSION_NOT_SUPPORTED;
        }
        HttpHeaders headers = request.headers();
        // RFC 9112 section 3.2: an HTTP/1.1 request without Host, or any request with two, MUST get a 400. With
        // two, the route would follow one Host and a virtual-hosting upstream perhaps the other.
        int hosts = headers.getAll(HttpHeaderNames.HOST).size();
        if (hosts > 1 || hosts == 0 && request.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
            return ProxyFailure.BAD_REQUEST;
        }
        if (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            ProxyFailure coding = checkTransferCoding(HeaderTokens.of(headers, HttpHeaderNames.TRANSFER_ENCODING));
            if (coding != null) {
                return coding;
            }
        }
        if (maxBodySize > 0 && HttpUtil.getContentLength(request, -1L) > maxBodySize) {
            return ProxyFailure.BODY_TOO_LARGE;
        }
        return null;
    }

    /** Only a single, final {@code chunked} is accepted; other codings before it are not implemented. */
    private static ProxyFailure checkTransferCoding(List<String> codings) {
        int chunked = 0;
        for (int i = 0; i < codings.size(); i++) {
            if (codings.get(i).equalsIgnoreCase("chunked")) {
                chunked++;
            }
        }
        if (codings.isEmpty() || !codings.get(codings.size() - 1).equalsIgnoreCase("chunked") || chunked > 1) {
            return ProxyFailure.BAD_REQUEST;
        }
        return codings.size() > 1 ? ProxyFailure.UNSUPPORTED_TRANSFER_CODING : null;
    }
}
