package dev.gateway.http.internal.client;

import dev.gateway.http.HttpSettings;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;

/**
 * An HTTP/1.1 upstream's response decoder, told whether the response answers a HEAD request, which has no body
 * whatever its framing headers say. Netty's client codec learns that from a queue of the methods it encoded,
 * behind a combined handler that every message passes; a pooled connection carries one request at a time, so a
 * flag set when the request head is written does the same with one handler fewer on each message's path.
 */
final class UpstreamResponseDecoder extends HttpResponseDecoder {

    private boolean headRequest;

    UpstreamResponseDecoder() {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(HttpSettings.MAX_REQUEST_LINE)
                .setMaxHeaderSize(HttpSettings.MAX_RESPONSE_HEADERS)
                .setMaxChunkSize(HttpSettings.MAX_CHUNK));
    }

    /** A request head is on its way: its response comes next. */
    void requestSent(HttpRequest request) {
        headRequest = HttpMethod.HEAD.equals(request.method());
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
        // An informational response (100 Continue) comes before the final one, which the flag is about.
        return headRequest && ((HttpResponse) msg).status().codeClass() != HttpStatusClass.INFORMATIONAL
                || super.isContentAlwaysEmpty(msg);
    }
}
