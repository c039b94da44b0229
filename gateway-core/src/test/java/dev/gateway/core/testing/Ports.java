package dev.gateway.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** Port numbers for what cannot bind port 0 itself. */
public final class Ports {

    private Ports() {
    }

    /**
     * A port that was free a moment ago, for listeners whose port must be written into a configuration (an API's
     * own {@code listen_port} binds exactly that port, and {@code redis-server --port 0} does not listen at all),
     * and for an address that must refuse connections.
     */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
