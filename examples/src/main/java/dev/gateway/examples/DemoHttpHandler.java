package dev.gateway.examples;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo HTTP/1.1 upstream, one instance per connection.
 *
 * <ul>
 *   <li>{@code GET /}, {@code GET /hello}: JSON with the path, method and request headers, so a user
 *       sees what the gateway forwarded.</li>
 *   <li>{@code POST /echo}: streams the request body back, chunk by chunk, never holding the whole body.</li>
 *   <li>{@code GET /stream?n=5&delay_ms=200}: {@code n} lines {@code chunk i}, one every {@code delay_ms}.</li>
 *   <li>{@code GET /events?n=5&delay_ms=500}: the same as server-sent events.</li>
 *   <li>anything else: 404 {@code {"error":"not found"}}.</li>
 * </ul>
 *
 * <p>The channel runs with auto-read off and a {@code FlowControlHandler} in front: this handler asks for
 * each message with {@code read()}, so it serves one request at a time and reads an echo body only as fast
 * as it writes it back. All state is touched on the channel's event loop only.
 */
final class DemoHttpHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(DemoHttpHandler.class);

    /** Upper bound of {@code n} for /stream and /events, so one request cannot keep a connection forever. */
    static final int MAX_TICKS = 10_000;

    /** Upper bound of {@code delay_ms}: one minute between ticks is already slower than any demo needs. */
    static final int MAX_DELAY_MS = 60_000;

    private static final String DEFAULT_TICKS = "5";
    private static final String DEFAULT_STREAM_DELAY_MS = "200";
    private static final String DEFAULT_EVENTS_DELAY_MS = "500";

    private static final String JSON = "application/json";
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String EVENT_STREAM = "text/event-stream";

    /** What to answer once the request body has been read (and dropped); null while idle or echoing. */
    private Consumer<ChannelHandlerContext> pendingReply;
    /** True from the head of a POST /echo until its last content has been written back. */
    private boolean echoing;
    /** The next /stream or /events tick, cancelled when the connection closes. */
    private ScheduledFuture<?> nextTick;
    /** True from {@link #requestRead} until the next message arrives; see {@link #channelReadComplete}. */
    private boolean readRequested;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        requestRead(ctx);
        ctx.fireChannelActive();
    }

    /**
     * FlowControlHandler counts our read() as satisfied by the next read-complete, even when that socket
     * read held only part of an HTTP message: the decoder then asks the socket for more by itself, past
     * FlowControlHandler, and the message it finally decodes would wait in FlowControlHandler's queue for
     * a read() nobody sends. So while we still wait for a message, every read-complete renews the request.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (readRequested) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    private void requestRead(ChannelHandlerContext ctx) {
        readRequested = true;
        ctx.read();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (nextTick != null) {
            nextTick.cancel(false);
            nextTick = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readRequested = false;
        if (msg instanceof HttpObject http && http.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            onDecoderFailure(ctx);
            return;
        }
        if (msg instanceof HttpRequest request) {
            onRequest(ctx, request);
        }
        if (msg instanceof HttpContent content) {
            onContent(ctx, content);
        } else if (msg instanceof HttpRequest) {
            requestRead(ctx);
        } else {
            ReferenceCountUtil.release(msg);
            requestRead(ctx);
        }
    }

    /** The decoder has given up on this connection: answer 400 if no response has begun, then close. */
    private void onDecoderFailure(ChannelHandlerContext ctx) {
        pendingReply = null;
        if (echoing) {
            ctx.close();
            return;
        }
        sendJson(ctx, HttpResponseStatus.BAD_REQUEST, error("bad request"), false);
    }

    private void onRequest(ChannelHandlerContext ctx, HttpRequest request) {
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        String path = uri.path();
        HttpMethod method = request.method();
        log.debug("{} {} {}", ctx.channel().remoteAddress(), method, request.uri());

        if (HttpMethod.GET.equals(method) && (path.equals("/") || path.equals("/hello"))) {
            pendingReply = c -> sendJson(c, HttpResponseStatus.OK, hello(request, path), true);
        } else if (HttpMethod.POST.equals(method) && path.equals("/echo")) {
            startEcho(ctx, request);
        } else if (HttpMethod.GET.equals(method) && path.equals("/stream")) {
            pendingReply = ticker(request, uri, DEFAULT_STREAM_DELAY_MS, TEXT, i -> "chunk " + i + "\n");
        } else if (HttpMethod.GET.equals(method) && path.equals("/events")) {
            pendingReply = ticker(request, uri, DEFAULT_EVENTS_DELAY_MS, EVENT_STREAM,
                    i -> "id: " + i + "\ndata: {\"tick\":" + i + "}\n\n");
        } else {
            pendingReply = c -> sendJson(c, HttpResponseStatus.NOT_FOUND, error("not found"), true);
        }
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (echoing) {
            echo(ctx, content.content(), last);
            return;
        }
        // Only /echo wants a body; any other body is read and dropped before the reply.
        content.release();
        if (last && pendingReply != null) {
            Consumer<ChannelHandlerContext> reply = pendingReply;
            pendingReply = null;
            reply.accept(ctx);
        } else {
            requestRead(ctx);
        }
    }

    private void startEcho(ChannelHandlerContext ctx, HttpRequest request) {
        echoing = true;
        String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
        HttpResponse head = streamingHead(request, contentType);
        ctx.writeAndFlush(head).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    /** Passes one piece of the request body back; the write now owns {@code body}. */
    private void echo(ChannelHandlerContext ctx, ByteBuf body, boolean last) {
        HttpContent out = last ? new DefaultLastHttpContent(body) : new DefaultHttpContent(body);
        if (last) {
            echoing = false;
        }
        // Read the next piece only once this one has left, so a slow reader slows the sender.
        ctx.writeAndFlush(out).addListener(readNextOrClose(ctx));
    }

    private Consumer<ChannelHandlerContext> ticker(HttpRequest request, QueryStringDecoder uri, String defaultDelay,
                                                   String contentType, IntFunction<String> line) {
        Integer n = intParam(uri, "n", DEFAULT_TICKS, 1, MAX_TICKS);
        Integer delayMs = intParam(uri, "delay_ms", defaultDelay, 0, MAX_DELAY_MS);
        if (n == null || delayMs == null) {
            String reason = "n must be 1.." + MAX_TICKS + " and delay_ms 0.." + MAX_DELAY_MS;
            return c -> sendJson(c, HttpResponseStatus.BAD_REQUEST, error(reason), true);
        }
        return c -> {
            HttpResponse head = streamingHead(request, contentType);
            head.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
            c.write(head).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            tick(c, 1, n, delayMs, line);
        };
    }

    /** Writes tick {@code i} now and schedules the next on the event loop: no thread ever sleeps. */
    private void tick(ChannelHandlerContext ctx, int i, int n, int delayMs, IntFunction<String> line) {
        nextTick = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        ByteBuf chunk = ctx.alloc().buffer();
        chunk.writeCharSequence(line.apply(i), StandardCharsets.UTF_8);
        if (i < n) {
            ctx.writeAndFlush(new DefaultHttpContent(chunk)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            nextTick = ctx.executor().schedule(() -> tick(ctx, i + 1, n, delayMs, line), delayMs, TimeUnit.MILLISECONDS);
        } else {
            ctx.writeAndFlush(new DefaultLastHttpContent(chunk)).addListener(readNextOrClose(ctx));
        }
    }

    private void sendJson(ChannelHandlerContext ctx, HttpResponseStatus status, String json, boolean keepAlive) {
        ByteBuf body = ctx.alloc().buffer(json.length());
        body.writeCharSequence(json, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (!keepAlive) {
            // HttpServerKeepAliveHandler sees "Connection: close" and closes after the response.
            HttpUtil.setKeepAlive(response, false);
        }
        ctx.writeAndFlush(response).addListener(readNextOrClose(ctx));
    }

    /**
     * A response head for a body of unknown length: chunked for HTTP/1.1; for an HTTP/1.0 client, which
     * cannot read chunks, the body ends when the connection closes.
     */
    private static HttpResponse streamingHead(HttpRequest request, String contentType) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            HttpUtil.setKeepAlive(head, false);
        } else {
            HttpUtil.setTransferEncodingChunked(head, true);
        }
        return head;
    }

    private ChannelFutureListener readNextOrClose(ChannelHandlerContext ctx) {
        return f -> {
            if (f.isSuccess()) {
                requestRead(ctx);
            } else {
                ctx.close();
            }
        };
    }

    /** The parameter as an int in [min, max], its default when absent, or null when it is not such a number. */
    private static Integer intParam(QueryStringDecoder uri, String name, String defaultValue, int min, int max) {
        List<String> values = uri.parameters().get(name);
        String raw = values == null || values.isEmpty() ? defaultValue : values.get(0);
        try {
            int value = Integer.parseInt(raw.trim());
            return value >= min && value <= max ? value : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String hello(HttpRequest request, String path) {
        // Repeated header names are joined with ", ", as RFC 9110 section 5.3 allows.
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : request.headers()) {
            headers.merge(h.getKey(), h.getValue(), (a, b) -> a + ", " + b);
        }
        StringBuilder json = new StringBuilder(256)
                .append("{\"service\":\"demo-http\",\"path\":").append(quote(path))
                .append(",\"method\":").append(quote(request.method().name()))
                .append(",\"headers\":{");
        String separator = "";
        for (Map.Entry<String, String> h : headers.entrySet()) {
            json.append(separator).append(quote(h.getKey())).append(':').append(quote(h.getValue()));
            separator = ",";
        }
        return json.append("}}\n").toString();
    }

    private static String error(String message) {
        return "{\"error\":" + quote(message) + "}\n";
    }

    private static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            // Resets and broken pipes are what clients do; not worth a stack trace.
            log.debug("{} closed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("{} failed, closing", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }
}
