package dev.gateway.http.internal.server;

import io.netty.channel.Channel;
import io.netty.channel.ServerChannel;
import io.netty.handler.ssl.SslHandler;
import java.util.function.Supplier;
import javax.net.ssl.SSLSession;

/** The TLS session of a client's connection, for filters that judge the client's certificate. */
final class ClientTls {

    private ClientTls() {
    }

    /**
     * Reads the session of {@code channel}'s connection when asked: its own {@link SslHandler}'s, or on an HTTP/2
     * stream its parent connection's, where TLS is; {@code null} when no handshake has finished there.
     */
    static Supplier<SSLSession> session(Channel channel) {
        return () -> {
            Channel connection = channel;
            while (connection.parent() != null && !(connection.parent() instanceof ServerChannel)) {
                connection = connection.parent();
            }
            SslHandler tls = connection.pipeline().get(SslHandler.class);
            return tls == null || !tls.handshakeFuture().isSuccess() ? null : tls.engine().getSession();
        };
    }
}
