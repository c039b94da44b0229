package dev.gateway.http.internal.exchange;

import dev.gateway.http.ProxyFailure;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import java.net.ConnectException;
import javax.net.ssl.SSLException;

/** What an upstream's exception means to the client, and the words a log line gives it. */
final class UpstreamFailures {

    private UpstreamFailures() {
    }

    /** The failure behind a connect that did not succeed. */
    static ProxyFailure ofConnect(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return ProxyFailure.UPSTREAM_TIMEOUT;
        }
        return cause instanceof ConnectException ? ProxyFailure.UPSTREAM_REFUSED : of(cause);
    }

    /** The failure behind an upstream channel that failed after it connected. */
    static ProxyFailure of(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return ProxyFailure.UPSTREAM_TLS;
            }
        }
        if (cause instanceof DecoderException) {
            return ProxyFailure.UPSTREAM_PROTOCOL;
        }
        return cause instanceof ConnectException ? ProxyFailure.UPSTREAM_REFUSED : ProxyFailure.UPSTREAM_RESET;
    }

    /** The root cause's message, or its class when it has none. */
    static String describe(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message;
    }
}
