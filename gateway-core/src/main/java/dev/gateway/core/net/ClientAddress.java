package dev.gateway.core.net;

import io.netty.channel.Channel;
import io.netty.channel.ServerChannel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The address of the real client of a connection. It is the socket's peer, unless a PROXY protocol header
 * named another; every protocol module asks here, so logs and {@code X-Forwarded-For} agree.
 */
public final class ClientAddress {

    /** Set by the PROXY protocol stage when a header names the client. */
    public static final AttributeKey<InetSocketAddress> ATTRIBUTE = AttributeKey.valueOf("gateway.clientAddress");

    private ClientAddress() {
    }

    /** The client's address; the socket peer when no PROXY header named another. */
    public static InetSocketAddress of(Channel channel) {
        InetSocketAddress fromHeader = channel.attr(ATTRIBUTE).get();
        if (fromHeader != null) {
            return fromHeader;
        }
        Channel parent = channel.parent();
        if (parent != null && !(parent instanceof ServerChannel)) {
            // An HTTP/2 stream: the client is its connection's.
            return of(parent);
        }
        SocketAddress remote = channel.remoteAddress();
        return remote instanceof InetSocketAddress inet ? inet : null;
    }

    /** The client's IP as text, for logs and {@code X-Forwarded-For}; {@code unknown} when there is none. */
    public static String ip(Channel channel) {
        InetSocketAddress address = of(channel);
        if (address == null) {
            return "unknown";
        }
        return address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
    }

    /** The port the client connected to; -1 when the channel is not on a TCP socket. */
    public static int localPort(Channel channel) {
        Channel connection = channel;
        while (connection.parent() != null && !(connection.parent() instanceof ServerChannel)) {
            connection = connection.parent(); // an HTTP/2 stream: the port is its connection's
        }
        return connection.localAddress() instanceof InetSocketAddress inet ? inet.getPort() : -1;
    }
}
