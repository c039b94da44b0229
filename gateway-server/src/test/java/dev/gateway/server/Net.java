package dev.gateway.server;

import dev.gateway.core.testing.TestCerts;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Client-side helpers: ports, the JDK HTTP client, a client trusting the test CA. */
final class Net {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    private Net() {
    }

    /**
     * A port that was free a moment ago, for listeners whose port must be written into a configuration (an API's
     * own {@code listen_port} binds exactly that port, so port 0 is not an option there).
     */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build();
    }

    static HttpClient client(SSLContext tls) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                .sslContext(tls).build();
    }

    static HttpResponse<String> get(HttpClient client, String url) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(REQUEST_TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** True when nothing accepts connections on 127.0.0.1:{@code port}. */
    static boolean refuses(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) CONNECT_TIMEOUT.toMillis());
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (SocketException e) {
            if (String.valueOf(e.getMessage()).contains("reset")) {
                // Accepted into the backlog of a listener that closed meanwhile: ask again, it is on its way out.
                return false;
            }
            throw new UncheckedIOException("unexpected error connecting to port " + port, e);
        } catch (IOException e) {
            throw new UncheckedIOException("unexpected error connecting to port " + port, e);
        }
    }

    /** Polls until 127.0.0.1:{@code port} refuses connections; a listener closes asynchronously. */
    static void awaitRefused(int port, Duration timeout) throws InterruptedException {
        Deadline deadline = new Deadline(timeout);
        while (!refuses(port)) {
            deadline.check("port " + port + " still accepts connections");
            Thread.sleep(Deadline.POLL_MILLIS);
        }
    }

    /** An SSL context that trusts only the test CA, which signed {@code localhost.pem} and {@code example.pem}. */
    static SSLContext trustingTestCa() {
        try {
            X509Certificate ca;
            try (InputStream in = Files.newInputStream(TestCerts.caPem())) {
                ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            trusted.setCertificateEntry("gateway-test-ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The text of a file, or empty when it does not exist yet. */
    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A deadline for polling loops: condition checks with a short pause between them, never a fixed wait. */
    static final class Deadline {
        static final long POLL_MILLIS = 20;

        private final long endNanos;
        private final Duration timeout;

        Deadline(Duration timeout) {
            this.timeout = timeout;
            this.endNanos = System.nanoTime() + timeout.toNanos();
        }

        boolean passed() {
            return System.nanoTime() - endNanos > 0;
        }

        /** Fails the test once the deadline has passed. */
        void check(String what) {
            if (passed()) {
                throw new AssertionError(what + " (waited " + timeout.toMillis() + " ms)");
            }
        }
    }
}
