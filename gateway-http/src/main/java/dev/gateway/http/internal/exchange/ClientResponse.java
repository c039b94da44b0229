package dev.gateway.http.internal.exchange;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The response half of an exchange: the upstream's response as it goes to the client. It rewrites the head for
 * the client's connection (hop-by-hop headers, framing, {@code Connection}, version) and decides when bytes are
 * flushed ({@code flush_interval}, event streams).
 */
final class ClientResponse {

    private final ChannelHandlerContext client;
    private final ProxyResponseEncoder encoder;
    private final boolean head;
    private final boolean clientHttp10;
    private final long flushIntervalNanos;

    private boolean keepAlive;
    private boolean started;
    /**
     * The head, held until the first body part or the end of the read: when the whole body arrives in the same
     * read, head and body go out as one message, which the encoder writes as one buffer (one {@code send}
     * instead of a two-part {@code writev}).
     */
    private HttpResponse heldHead;
    private boolean flushEachRead;
    /** A {@code text/event-stream}: long-lived, flushed event by event, with the stream idle timeout. */
    private boolean eventStream;
    private boolean unflushed;
    private ScheduledFuture<?> flushTask;
    private int status;
    private long bytes;

    ClientResponse(ChannelHandlerContext client, ProxyResponseEncoder encoder, boolean head, boolean clientHttp10,
            boolean keepAlive, long flushIntervalNanos) {
        this.client = client;
        this.encoder = encoder;
        this.head = head;
        this.clientHttp10 = clientHttp10;
        this.keepAlive = keepAlive;
        this.flushIntervalNanos = flushIntervalNanos;
    }

    /**
     * Takes the upstream's response head and rewrites it for the client.
     *
     * @param closeAfter the client connection must close after this response (the gateway is draining)
     * @return whether the upstream connection can carry another request after this response
     */
    boolean start(HttpResponse response, boolean closeAfter) {
        status = response.status().code();
        HttpHeaders headers = response.headers();
        boolean bodyless = head || status == 204 || status == 304;
        boolean hasLength = headers.contains(HttpHeaderNames.CONTENT_LENGTH);
        boolean chunked = HttpUtil.isTransferEncodingChunked(response);
        // A body that ends when the upstream closes cannot leave the connection reusable.
        boolean upstreamReusable = HttpUtil.isKeepAlive(response) && (bodyless || hasLength || chunked);
        String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE);
        eventStream = contentType != null && contentType.regionMatches(true, 0, "text/event-stream", 0, 17);
        flushEachRead = flushIntervalNanos == 0 || !hasLength || eventStream;

        HeaderRewriter.stripHopByHop(headers);
        if (closeAfter) {
            keepAlive = false;
        }
        // An HTTP/2 stream frames the body and ends itself: no connection or framing fields go to its client.
        if (encoder != null) {
            frameForHttp1(response, bodyless, hasLength);
        }
        heldHead = response;
        started = true;
        return upstreamReusable;
    }

    /** The framing and connection fields of the head for the HTTP/1.x client, and its version. */
    private void frameForHttp1(HttpResponse response, boolean bodyless, boolean hasLength) {
        HttpHeaders headers = response.headers();
        if (!bodyless && !hasLength) {
            if (clientHttp10) {
                keepAlive = false;
            } else {
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        }
        if (!keepAlive) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (clientHttp10) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        response.setProtocolVersion(clientHttp10 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1);
        encoder.answeringHead(head);
    }

    /**
     * Writes one body part; the write owns it from here.
     *
     * @return true when it was the last part
     */
    boolean write(HttpContent part) {
        bytes += part.content().readableBytes();
        if (heldHead != null && part instanceof LastHttpContent last) {
            // The whole response is here: one message, the body's buffer now owned by it.
            HttpResponse response = heldHead;
            heldHead = null;
            client.write(new DefaultFullHttpResponse(response.protocolVersion(), response.status(), last.content(),
                    response.headers(), last.trailingHeaders()), client.voidPromise());
            unflushed = true;
            return true;
        }
        writeHeldHead();
        client.write(part, client.voidPromise());
        unflushed = true;
        return part instanceof LastHttpContent;
    }

    /** The end of an upstream read: what was written goes out now, or at the next flush interval. */
    void readComplete() {
        writeHeldHead();
        if (!unflushed) {
            return;
        }
        // Unflushed bytes count against the client's water marks. Once they alone make it unwritable, waiting
        // for the interval would stall the upstream too and cap throughput at one high-water mark per interval;
        // flush now, as a full write buffer would (Go's flush interval never slows a transfer).
        if (flushEachRead || !client.channel().isWritable()) {
            flush();
        } else if (flushTask == null) {
            flushTask = client.executor().schedule(this::flush, flushIntervalNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Flushes whatever is pending; the flush interval's task. */
    private void flush() {
        flushTask = null;
        if (unflushed) {
            unflushed = false;
            client.flush();
        }
    }

    /**
     * Forgets a head that never left, so the client can still get an error instead of a cut connection.
     *
     * @return whether anything of the response reached the client's pipeline
     */
    boolean abandon() {
        cancelFlush();
        if (heldHead != null) {
            heldHead = null;
            started = false;
        }
        return started;
    }

    void cancelFlush() {
        if (flushTask != null) {
            flushTask.cancel(false);
            flushTask = null;
        }
    }

    private void writeHeldHead() {
        if (heldHead != null) {
            client.write(heldHead, client.voidPromise());
            heldHead = null;
            unflushed = true;
        }
    }

    boolean eventStream() {
        return eventStream;
    }

    /** Whether the client connection stays open after this response. */
    boolean keepAlive() {
        return keepAlive;
    }

    int status() {
        return status;
    }

    long bytes() {
        return bytes;
    }
}
