package dev.gateway.grpc;

import dev.gateway.http.ProtocolRules;
import dev.gateway.http.ProxyFailure;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * gRPC over the HTTP proxy. A request whose {@code content-type} is {@code application/grpc} (with or without a
 * {@code +codec} suffix) is a call: it goes to its upstream over HTTP/2, its stream may rest between messages,
 * and the gateway's own errors reach the client as gRPC statuses, never as HTTP errors with a JSON body:
 * <ul>
 *   <li>before the response started: a Trailers-Only response (HTTP 200, {@code grpc-status}, {@code grpc-message});
 *   <li>after it started: trailers with the status end the stream.
 * </ul>
 * gRPC-Web ({@code application/grpc-web}) is not a call here: it works over HTTP/1.1 and carries its status in
 * the body, so it is proxied as plain HTTP.
 */
public final class GrpcRules implements ProtocolRules {

    public static final GrpcRules INSTANCE = new GrpcRules();

    private static final AsciiString GRPC_CONTENT_TYPE = AsciiString.cached("application/grpc");
    private static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    private static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");

    private GrpcRules() {
    }

    @Override
    public int rpcStatus(HttpHeaders headers) {
        String status = headers.get(GRPC_STATUS);
        if (status == null) {
            return -1;
        }
        try {
            return Integer.parseInt(status.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public boolean isRpc(HttpRequest request) {
        return isGrpc(request.headers().get(HttpHeaderNames.CONTENT_TYPE));
    }

    /** {@code application/grpc}, {@code application/grpc+proto} and the like; not {@code application/grpc-web}. */
    static boolean isGrpc(String contentType) {
        if (contentType == null || !contentType.regionMatches(true, 0, "application/grpc", 0, 16)) {
            return false;
        }
        if (contentType.length() == 16) {
            return true;
        }
        char next = contentType.charAt(16);
        return next == '+' || next == ';';
    }

    @Override
    public FullHttpResponse reply(HttpRequest request, ProxyFailure failure, ByteBufAllocator alloc) {
        return reply(request, failure, failure.message(), alloc);
    }

    @Override
    public FullHttpResponse reply(HttpRequest request, ProxyFailure failure, String message, ByteBufAllocator alloc) {
        if (request == null || !isRpc(request)) {
            return null;
        }
        // Trailers-Only: one HEADERS frame that ends the stream, with the status where trailers would be.
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.EMPTY_BUFFER);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, GRPC_CONTENT_TYPE);
        addStatus(response.headers(), failure, message);
        return response;
    }

    @Override
    public HttpHeaders abortTrailers(HttpRequest request, ProxyFailure failure) {
        if (!isRpc(request)) {
            return null;
        }
        HttpHeaders trailers = new DefaultHttpHeaders();
        addStatus(trailers, failure, failure.message());
        return trailers;
    }

    private static void addStatus(HttpHeaders headers, ProxyFailure failure, String message) {
        GrpcStatus status = GrpcStatus.of(failure);
        headers.setInt(GRPC_STATUS, status.code());
        headers.set(GRPC_MESSAGE, percentEncode("gateway: " + message));
    }

    /**
     * {@code grpc-message} encoding: UTF-8, with bytes outside printable ASCII and {@code %} itself written as
     * {@code %XX}.
     */
    static String percentEncode(String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c >= 0x20 && c <= 0x7e && c != '%') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
