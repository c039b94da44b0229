package dev.gateway.http.internal.server;

import dev.gateway.core.net.ClientAddress;
import dev.gateway.http.ProtocolSwitch;
import dev.gateway.http.internal.exchange.Switchover;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client connection, or HTTP/2 stream, leaves HTTP after its upstream's {@code 101} (or the {@code 200} of an
 * extended CONNECT) is written: its HTTP handlers go, what the client sent after the request goes on to the
 * upstream, and the protocol's switch handler ({@code switches} of the listener) takes both channels.
 */
final class ProtocolHandoff {

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    private ProtocolHandoff() {
    }

    /**
     * @param ctx the context of the connection's {@link FrontendHandler}, which is removed
     * @param backlog what the client sent after the switch request; an HTTP/1.1 request in it (a client that did
     *     not wait for the {@code 101}) closes both sides
     */
    static void handOver(ChannelHandlerContext ctx, ListenerContext listener, RequestBacklog backlog,
            boolean http2Stream, ProtocolSwitch.Switched switched) {
        Channel client = switched.client();
        Switchover.clientToBytes(client, ctx.handler(), http2Stream);
        if (!backlog.passTo(switched.upstream(), http2Stream)) {
            log.info("api={} client={} sent data before the switch of protocols was answered; closing",
                    switched.apiId(), ClientAddress.of(client));
            client.close();
            switched.upstream().close();
            return;
        }
        client.flush();
        listener.switches().switched(switched);
    }
}
