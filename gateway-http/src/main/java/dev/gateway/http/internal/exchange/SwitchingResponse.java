package dev.gateway.http.internal.exchange;

import dev.gateway.http.ProtocolSwitch;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The answer to a request that asked to switch protocols: the upstream's {@code 101} on its way to the client, as
 * it is or as the {@code 200} that answers an HTTP/2 extended CONNECT (RFC 8441). Only an exchange whose request
 * asked for a switch has one; the end of the {@code 101} is where the exchange hands both connections to the
 * {@link ProtocolSwitch}.
 */
final class SwitchingResponse {

    private final ChannelHandlerContext client;
    private final ProtocolSwitch switches;
    /** The switch was asked for by HTTP/2 extended CONNECT: the client gets a 200 where the upstream said 101. */
    private final boolean extendedConnect;
    /** The upstream's 101 went to the client; the end of that response completes the switch. */
    private boolean answered;

    SwitchingResponse(ChannelHandlerContext client, ProtocolSwitch switches, boolean extendedConnect) {
        this.client = client;
        this.switches = switches;
        this.extendedConnect = extendedConnect;
    }

    /**
     * Sends the upstream's 101 on to the client: as it is, or as the 200 that answers an extended CONNECT.
     *
     * @return the status the client was sent
     */
    int answer(HttpResponse response) {
        answered = true;
        if (extendedConnect) {
            switches.toConnectResponse(response);
            client.write(response, client.voidPromise());
            return 200;
        }
        client.write(Switchover.switchingResponse(response), client.voidPromise());
        return 101;
    }

    /** Whether the 101 went to the client, so that what follows of the response is its (empty) body. */
    boolean answered() {
        return answered;
    }

    /**
     * Takes a part of the 101's body, which it has none of: the end of it is where the new protocol's bytes start.
     *
     * @return true at that end, when the switch can go ahead
     */
    boolean ends(HttpContent part) {
        part.release();
        return part instanceof LastHttpContent;
    }
}
