package dev.gateway.tcp.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A TCP upstream on 127.0.0.1 and port 0: it sends its name and a newline on connect, then echoes every byte. */
public final class NamedEcho implements AutoCloseable {

    private final ServerSocket server;
    private final List<Socket> accepted = new ArrayList<>();

    public NamedEcho(String name) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread thread = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    synchronized (accepted) {
                        accepted.add(socket);
                    }
                    Thread echo = new Thread(() -> echo(socket, name), "echo-" + name);
                    echo.setDaemon(true);
                    echo.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "accept-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    private static void echo(Socket socket, String name) {
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
            in.transferTo(out);
        } catch (IOException e) {
            // the test closed it
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far. */
    public int acceptedCount() {
        synchronized (accepted) {
            return accepted.size();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (accepted) {
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }
}
