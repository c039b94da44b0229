package dev.gateway.http.internal.exchange;

import dev.gateway.http.FilterDecision;
import dev.gateway.http.ProxyFailure;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** Responses the gateway writes itself: JSON errors, the status endpoint, and what filters answer. */
public final class LocalResponses {

    private LocalResponses() {
    }

    /** {@code {"error": "..."}} with the failure's status. */
    public static FullHttpResponse error(ByteBufAllocator alloc, ProxyFailure failure, boolean keepAlive) {
        return error(alloc, failure, failure.message(), keepAlive);
    }

    /** {@code {"error": "..."}} with the failure's status, in {@code message}'s words. */
    public static FullHttpResponse error(ByteBufAllocator alloc, ProxyFailure failure, String message,
            boolean keepAlive) {
        return json(alloc, failure.status(), "{\"error\": \"" + jsonEscape(message) + "\"}", keepAlive);
    }

    /** A JSON string's content: quotes, backslashes and control characters escaped. */
    static String jsonEscape(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '"' && c != '\\' && c >= 0x20) {
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append('\\').append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    /** A JSON response with {@code Content-Length} and the {@code Connection} header the exchange needs. */
    public static FullHttpResponse json(ByteBufAllocator alloc, HttpResponseStatus status, String json,
            boolean keepAlive) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ByteBuf body = alloc.buffer(bytes.length).writeBytes(bytes);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /**
     * Adds a filter's headers to a local answer, in place of any of the same name, except the framing the gateway
     * owns: {@code Content-Length} and the hop-by-hop names ({@code Connection}, {@code Transfer-Encoding}, ...).
     * The filter's own object is left as it was.
     */
    public static FullHttpResponse withHeaders(FullHttpResponse response, HttpHeaders extra) {
        if (extra.isEmpty()) {
            return response;
        }
        HttpHeaders copy = new DefaultHttpHeaders().add(extra);
        HeaderRewriter.stripHopByHop(copy);
        copy.remove(HttpHeaderNames.CONTENT_LENGTH);
        response.headers().setAll(copy);
        return response;
    }

    /** A filter's own answer, with {@code Content-Length} and the {@code Connection} header the exchange needs. */
    public static FullHttpResponse answer(ByteBufAllocator alloc, FilterDecision.Answer answer, boolean keepAlive) {
        byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status(),
                alloc.buffer(bytes.length).writeBytes(bytes));
        withHeaders(response, answer.headers());
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }
}
