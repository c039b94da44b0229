package dev.gateway.http.internal.server;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Request parts that arrived before the connection could take them, in order: pipelined requests behind the one
 * being answered, and the body of a request whose filters are still deciding. Most connections never need one, so
 * the queue is made on first use.
 */
final class RequestBacklog {

    private ArrayDeque<HttpObject> parts;

    void add(HttpObject part) {
        if (parts == null) {
            parts = new ArrayDeque<>(4);
        }
        parts.add(part);
    }

    boolean isEmpty() {
        return parts == null || parts.isEmpty();
    }

    /** The oldest part, left in place; {@code null} when empty. */
    HttpObject peek() {
        return parts == null ? null : parts.peek();
    }

    /** Takes the oldest part; {@code null} when empty. */
    HttpObject poll() {
        return parts == null ? null : parts.poll();
    }

    /** The next part, when it continues the current request's body rather than starting a request. */
    HttpContent pollBodyPart() {
        return peek() instanceof HttpContent part && !(part instanceof HttpRequest) ? (HttpContent) poll() : null;
    }

    /**
     * What arrived after a request and before its switch of protocols goes on to {@code upstream}: an HTTP/2
     * stream's DATA, as bytes. On HTTP/1.1 the decoder has read such bytes as a request, which a client that waits
     * for the switch (as RFC 6455 requires) never sends. Empties the backlog either way.
     *
     * @return false when it held what cannot be passed on
     */
    boolean passTo(Channel upstream, boolean http2Stream) {
        boolean usable = true;
        HttpObject queued;
        while ((queued = poll()) != null) {
            if (usable && http2Stream && queued instanceof HttpContent part && !(queued instanceof HttpRequest)) {
                upstream.write(part.content().retain(), upstream.voidPromise());
            } else {
                usable = false;
            }
            ReferenceCountUtil.release(queued);
        }
        return usable;
    }

    /** The connection closed: every part still held is released. */
    void releaseAll() {
        HttpObject queued;
        while ((queued = poll()) != null) {
            ReferenceCountUtil.release(queued);
        }
    }
}
