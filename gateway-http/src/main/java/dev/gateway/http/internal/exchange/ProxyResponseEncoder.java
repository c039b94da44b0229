package dev.gateway.http.internal.exchange;

import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;

/**
 * The response encoder, told whether the response answers a HEAD request. A HEAD response may carry
 * {@code Transfer-Encoding: chunked} or a {@code Content-Length} but never a body, not even a last chunk; Netty's
 * server codec tracks this itself, but it cannot be combined with our strict decoder.
 */
public final class ProxyResponseEncoder extends HttpResponseEncoder {

    private boolean headResponse;

    /** Set before writing each response head; one exchange is in flight at a time. */
    public void answeringHead(boolean head) {
        this.headResponse = head;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpResponse msg) {
        return headResponse || super.isContentAlwaysEmpty(msg);
    }
}
