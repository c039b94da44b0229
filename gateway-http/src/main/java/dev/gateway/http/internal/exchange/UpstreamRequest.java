package dev.gateway.http.internal.exchange;

import dev.gateway.http.internal.client.UpstreamChannel;
import dev.gateway.http.internal.codec.Http2BackedHeaders;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;

/**
 * The request half of an exchange: the request, rewritten for its upstream, on its way there. Parts that arrive
 * before the upstream channel is ready wait here. A head that finds its channel ready while the client's read is
 * still being decoded waits for that read's end, so that a bodyless request goes out as one message, encoded once,
 * instead of a head and an empty end.
 */
final class UpstreamRequest {

    private HttpRequest request;
    private final long maxBodySize;
    /** Idempotent and without a body: may be sent again when a pooled connection proves dead. */
    private final boolean replayable;
    private boolean retried;
    /** The upstream channel, once attached. */
    private UpstreamChannel channel;
    /** Parts that arrived before the upstream channel was ready. */
    private ArrayDeque<HttpContent> early;
    private boolean headHeld;
    /** The client sent the whole request. */
    private boolean complete;
    /** The whole request went to the upstream. */
    private boolean sent;
    /** When a part last went to the upstream: once the request is sent, when it was sent. */
    private long lastWriteNanos;
    private long bytes;

    /**
     * @param request the request as the client sent it, to be rewritten for the upstream before it is attached
     * @param maxBodySize bytes, 0 for no limit
     */
    UpstreamRequest(HttpRequest request, long maxBodySize) {
        this.request = request;
        this.maxBodySize = maxBodySize;
        this.replayable = isIdempotent(request) && !HttpUtil.isTransferEncodingChunked(request)
                && HttpUtil.getContentLength(request, 0L) == 0;
    }

    private static boolean isIdempotent(HttpRequest request) {
        String method = request.method().name();
        return switch (method) {
            case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" -> true;
            default -> false;
        };
    }

    /**
     * Sends what has arrived so far on {@code upstream}, which is ready.
     *
     * @return true when the head waits for the end of the client's read, which must then {@link #flush}
     */
    boolean attach(UpstreamChannel upstream) {
        channel = upstream;
        if (!upstream.isHttp2() && request.headers() instanceof Http2BackedHeaders view) {
            // An HTTP/2 client's request to an HTTP/1.1 upstream: its header block becomes HTTP/1.1 fields.
            request = new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                    view.toHttp1());
        }
        lastWriteNanos = System.nanoTime();
        sent = complete;
        if (!complete && early == null) {
            headHeld = true;
            return true;
        }
        upstream.write(request);
        boolean lastWritten = false;
        if (early != null) {
            HttpContent part;
            while ((part = early.poll()) != null) {
                lastWritten |= part instanceof LastHttpContent;
                upstream.write(part);
            }
        }
        if (complete && !lastWritten) {
            // A retry: the request's end went to the dead connection. Only bodyless requests are retried, so an
            // empty end completes it here; without one the codec would refuse the next request.
            upstream.write(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        upstream.flush();
        return false;
    }

    /**
     * The upstream channel closed before it answered. A channel that had served before may have met an upstream
     * that gave up on it unseen, so a replayable request lets go of it and waits for another, once.
     *
     * @return true when the request waits for another channel; false when it cannot go again, and nothing changed
     */
    boolean retryAfter(UpstreamChannel dead) {
        if (!replayable || !dead.isReused() || retried) {
            return false;
        }
        retried = true;
        channel = null;
        headHeld = false;
        dead.discard();
        return true;
    }

    /**
     * Takes ownership of one request part and sends it on, or keeps it until the upstream channel is ready.
     *
     * @return false when the body grew past the limit; the part was released
     */
    boolean add(HttpContent part) {
        bytes += part.content().readableBytes();
        boolean last = part instanceof LastHttpContent;
        complete |= last;
        if (maxBodySize > 0 && bytes > maxBodySize) {
            part.release();
            return false;
        }
        if (channel == null) {
            if (early == null) {
                early = new ArrayDeque<>(4);
            }
            early.add(part);
            return true;
        }
        lastWriteNanos = System.nanoTime();
        sent |= last;
        if (headHeld) {
            headHeld = false;
            if (last) {
                LastHttpContent end = (LastHttpContent) part;
                channel.write(new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                        end.content(), request.headers(), end.trailingHeaders()));
                return true;
            }
            channel.write(request);
        }
        channel.write(part);
        return true;
    }

    /** The end of a client read: pushes what was written to the upstream, the held head included. */
    void flush() {
        if (channel != null) {
            if (headHeld) {
                headHeld = false;
                channel.write(request);
            }
            channel.flush();
        }
    }

    /** Lets go of parts that never reached an upstream. */
    void release() {
        if (early != null) {
            HttpContent part;
            while ((part = early.poll()) != null) {
                part.release();
            }
        }
    }

    boolean complete() {
        return complete;
    }

    boolean sent() {
        return sent;
    }

    long lastWriteNanos() {
        return lastWriteNanos;
    }

    long bytes() {
        return bytes;
    }
}
