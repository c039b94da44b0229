package dev.gateway.http.internal.server;

import dev.gateway.core.net.ClientAddress;
import dev.gateway.core.net.ClientErrorLog;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log line for an error that ends a client connection (or an HTTP/2 stream). Routine bad input and network
 * errors get one line at INFO or DEBUG, rate-limited per client by {@link ClientErrorLog}; a stack trace is kept for
 * what the gateway did not expect.
 */
final class ClientConnectionErrors {

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    private ClientConnectionErrors() {
    }

    static void report(ChannelHandlerContext ctx, Throwable cause) {
        // The TLS stage fails with the SSLException wrapped; the ALPN stage hands it on unwrapped.
        Throwable tls = cause instanceof DecoderException && cause.getCause() instanceof SSLException
                ? cause.getCause() : cause;
        if (tls instanceof SSLException) {
            SslHandler handshake = ctx.pipeline().get(SslHandler.class);
            ClientErrorLog.info(log, ctx.channel(), "client={} TLS {} on port {}: {}", ClientAddress.of(ctx.channel()),
                    handshake == null || !handshake.handshakeFuture().isSuccess() ? "handshake failed" : "failed",
                    ClientAddress.localPort(ctx.channel()), tls.getMessage());
        } else if (cause instanceof IOException) {
            log.debug("client={} connection error: {}", ClientAddress.of(ctx.channel()), cause.toString());
        } else if (cause instanceof DecoderException && cause.getCause() instanceof Http2Exception malformed) {
            // A request the stream codec refused (a line break in a field value, a host against :authority):
            // routine bad input, one line; closing the stream resets it.
            ClientErrorLog.info(log, ctx.channel(), "client={} conn={} malformed HTTP/2 request: {}",
                    ClientAddress.of(ctx.channel()), ctx.channel().id().asShortText(), malformed.getMessage());
        } else {
            ClientErrorLog.warn(log, ctx.channel(), "client={} unexpected error; closing the connection",
                    ClientAddress.of(ctx.channel()), cause);
        }
    }
}
