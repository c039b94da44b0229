package dev.gateway.http.support;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The kernel's view of a loopback connection, from {@code /proc/net/tcp} and {@code /proc/net/tcp6} (Linux). A test
 * that must know the gateway has read some bytes before it writes more (so that the two arrive in separate reads)
 * polls the receive queue of the gateway's end until it is empty, instead of sleeping and hoping.
 */
public final class TcpQueues {

    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

    private TcpQueues() {
    }

    /**
     * Waits until the peer of {@code client} (a socket to 127.0.0.1) has read everything sent to it so far.
     *
     * @return false when the kernel tables cannot be read on this platform, true once the queue is empty
     * @throws AssertionError when the queue is not empty by the deadline
     */
    public static boolean awaitPeerRead(Socket client, Duration max) throws IOException, InterruptedException {
        if (!Files.isReadable(TABLES.get(0))) {
            return false;
        }
        int peerPort = client.getPort();
        int ownPort = client.getLocalPort();
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            long queued = receiveQueue(peerPort, ownPort);
            // -1: the gateway's end is gone, so nothing is waiting to be read either.
            if (queued <= 0) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the gateway left " + queued + " bytes unread for " + max);
            }
            Thread.sleep(1); // polling the kernel's table; there is no event to wait for
        }
    }

    /** The receive queue of the connection with this local and remote port, or -1 when there is none. */
    private static long receiveQueue(int localPort, int remotePort) throws IOException {
        for (Path table : TABLES) {
            if (!Files.isReadable(table)) {
                continue;
            }
            List<String> lines = Files.readAllLines(table);
            for (int i = 1; i < lines.size(); i++) {
                String[] columns = lines.get(i).trim().split("\\s+");
                if (port(columns[1]) == localPort && port(columns[2]) == remotePort) {
                    String queues = columns[4];
                    return Long.parseLong(queues.substring(queues.indexOf(':') + 1), 16);
                }
            }
        }
        return -1;
    }

    private static int port(String address) {
        return Integer.parseInt(address.substring(address.indexOf(':') + 1), 16);
    }
}
