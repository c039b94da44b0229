package dev.gateway.http.internal.codec;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValidationUtil;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpScheme;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.Map;

/**
 * One HTTP/2 stream's frames as the exchange's messages (a head, body parts, a last part with trailers) and back,
 * on the client's streams and the upstreams' alike. A header block is not converted: the message reads it through
 * {@link Http2BackedHeaders}, and when such a message goes out on another stream, the same block goes with it, its
 * pseudo-header fields set from the message. DATA travels as the same buffers. Only messages that did not come from
 * HTTP/2 (an HTTP/1.1 peer's, the gateway's own answers) and extended CONNECT requests take Netty's conversion.
 */
public final class Http2Messages {

    private static final AsciiString[] CONNECTION_SPECIFIC = {HttpHeaderNames.CONNECTION,
        AsciiString.cached("keep-alive"), AsciiString.cached("proxy-connection"), HttpHeaderNames.UPGRADE};

    private final boolean server;
    private final AsciiString scheme;

    /**
     * @param server whether the stream is a client's, carrying requests in and responses out
     * @param tls whether the stream's connection is TLS, for the {@code :scheme} of requests sent on it
     */
    public Http2Messages(boolean server, boolean tls) {
        this.server = server;
        this.scheme = tls ? HttpScheme.HTTPS.name() : HttpScheme.HTTP.name();
    }

    // ---- frames in --------------------------------------------------------------------------------------------

    /** Reads one frame of the stream as messages, added to {@code out}; the frame stays the caller's. */
    public void decode(Http2StreamFrame frame, List<Object> out) throws Http2Exception {
        if (frame instanceof Http2DataFrame data) {
            out.add(data.isEndStream() ? new DefaultLastHttpContent(data.content().retain())
                    : new DefaultHttpContent(data.content().retain()));
            return;
        }
        Http2HeadersFrame headersFrame = (Http2HeadersFrame) frame;
        Http2Headers block = headersFrame.headers();
        int id = headersFrame.stream() == null ? 0 : headersFrame.stream().id();
        boolean end = headersFrame.isEndStream();
        checkValues(id, block);
        if (server ? block.method() == null : block.status() == null) {
            out.add(trailers(id, block));
        } else if (server) {
            decodeRequest(id, block, end, out);
        } else {
            decodeResponse(id, block, end, out);
        }
    }

    /**
     * RFC 9113, 8.2.1: a field value with CR, LF or NUL makes the message malformed. The check is HTTP/1.1's, which
     * the block must pass anyway before it may reach an HTTP/1.1 peer.
     */
    private static void checkValues(int id, Http2Headers block) throws Http2Exception {
        for (Map.Entry<CharSequence, CharSequence> field : block) {
            if (HttpHeaderValidationUtil.validateValidHeaderValue(field.getValue()) != -1) {
                throw Http2Exception.streamError(id, Http2Error.PROTOCOL_ERROR, "invalid value of header field %s",
                        field.getKey());
            }
        }
    }

    private static LastHttpContent trailers(int id, Http2Headers block) throws Http2Exception {
        for (Map.Entry<CharSequence, CharSequence> field : block) {
            if (field.getKey().length() > 0 && field.getKey().charAt(0) == ':') {
                throw Http2Exception.streamError(id, Http2Error.PROTOCOL_ERROR,
                        "pseudo-header field %s in trailers", field.getKey());
            }
            break; // pseudo-header fields come first in a block, so one look decides
        }
        return new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, new Http2BackedHeaders(block));
    }

    private void decodeRequest(int id, Http2Headers block, boolean end, List<Object> out) throws Http2Exception {
        if (HttpMethod.CONNECT.asciiName().contentEquals(block.method())) {
            // Extended CONNECT (RFC 8441) keeps Netty's form, whose x-http2-* fields the protocol switch reads.
            HttpRequest request = HttpConversionUtil.toHttpRequest(id, block, true);
            if (!end && !HttpUtil.isContentLengthSet(request)) {
                HttpUtil.setTransferEncodingChunked(request, true);
            }
            out.add(request);
        } else {
            CharSequence authority = block.authority();
            if (authority != null) {
                CharSequence host = block.get(HttpHeaderNames.HOST);
                if (host != null && !AsciiString.contentEqualsIgnoreCase(host, authority)) {
                    throw Http2Exception.streamError(id, Http2Error.PROTOCOL_ERROR,
                            "conflicting :authority and host");
                }
                if (host == null) {
                    block.set(HttpHeaderNames.HOST, authority);
                }
            }
            Http2BackedHeaders headers = new Http2BackedHeaders(block);
            headers.chunked(!end && !block.contains(HttpHeaderNames.CONTENT_LENGTH));
            out.add(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(block.method().toString()),
                    block.path().toString(), headers));
        }
        if (end) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    private static void decodeResponse(int id, Http2Headers block, boolean end, List<Object> out)
            throws Http2Exception {
        HttpResponseStatus status = HttpConversionUtil.parseStatus(block.status());
        Http2BackedHeaders headers = new Http2BackedHeaders(block);
        int code = status.code();
        if (code >= 100 && code < 200 && code != 101) {
            // An interim response has no body; as a whole message its end is plain to the exchange.
            out.add(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER, headers,
                    new DefaultHttpHeaders()));
            return;
        }
        headers.chunked(!end && code != 204 && code != 304 && !block.contains(HttpHeaderNames.CONTENT_LENGTH));
        out.add(new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, headers));
        if (end) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    // ---- messages out -----------------------------------------------------------------------------------------

    /** Writes one message as frames, added to {@code out}; the message's buffer is retained for them. */
    public void encode(HttpObject msg, List<Object> out) {
        if (msg instanceof HttpMessage message) {
            boolean interim = message instanceof HttpResponse response && response.status().code() < 200
                    && response.status().code() != 101;
            boolean end = !interim && message instanceof FullHttpMessage whole && !whole.content().isReadable()
                    && whole.trailingHeaders().isEmpty();
            out.add(new DefaultHttp2HeadersFrame(block(message), end));
            if (interim || end) {
                return;
            }
        }
        if (msg instanceof LastHttpContent last) {
            HttpHeaders trailers = last.trailingHeaders();
            boolean hasTrailers = !trailers.isEmpty();
            if (last.content().isReadable() || !hasTrailers) {
                out.add(new DefaultHttp2DataFrame(last.content().retain(), !hasTrailers));
            }
            if (hasTrailers) {
                out.add(new DefaultHttp2HeadersFrame(trailers instanceof Http2BackedHeaders view ? view.block()
                        : HttpConversionUtil.toHttp2Headers(trailers, true), true));
            }
        } else if (msg instanceof HttpContent part) {
            out.add(new DefaultHttp2DataFrame(part.content().retain(), false));
        }
    }

    /** The head's header block: the one it was read from, when it came over HTTP/2, made ready for this stream. */
    private Http2Headers block(HttpMessage message) {
        if (!(message.headers() instanceof Http2BackedHeaders view) || message instanceof HttpRequest request
                && !isOriginForm(request.uri())) {
            if (message instanceof HttpRequest) {
                message.headers().set(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(), scheme);
            }
            return HttpConversionUtil.toHttp2Headers(message, true);
        }
        Http2Headers block = view.block();
        for (AsciiString name : CONNECTION_SPECIFIC) {
            block.remove(name);
        }
        if (message instanceof HttpRequest request) {
            CharSequence host = block.getAndRemove(HttpHeaderNames.HOST);
            if (host != null) {
                block.authority(host);
            }
            block.method(request.method().asciiName());
            block.path(request.uri());
            block.scheme(scheme);
        } else {
            block.status(((HttpResponse) message).status().codeAsText());
        }
        return block;
    }

    private static boolean isOriginForm(String uri) {
        return !uri.isEmpty() && uri.charAt(0) == '/';
    }
}
