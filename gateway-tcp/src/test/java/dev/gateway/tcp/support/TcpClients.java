package dev.gateway.tcp.support;

import dev.gateway.core.testing.TestTls;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** The client side of a TCP service: lines read off a socket, a TLS client with SNI, PROXY protocol headers. */
public final class TcpClients {

    /** How long any read of a test client may block. */
    public static final int READ_TIMEOUT_MILLIS = 10_000;

    /** A PROXY v1 header for TCP over IPv4 from 203.0.113.7:51000. */
    public static final byte[] PROXY_V1 = "PROXY TCP4 203.0.113.7 127.0.0.1 51000 6380\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    private TcpClients() {
    }

    /** A PROXY v2 header for TCP over IPv4 from 198.51.100.9:42000. */
    public static byte[] proxyV2() {
        return new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
                0x21, 0x11, 0x00, 0x0C,
                (byte) 198, 51, 100, 9, 127, 0, 0, 1,
                (byte) (42000 >> 8), (byte) (42000 & 0xff), 0x18, (byte) 0xEC};
    }

    /** The text up to the next newline (without it), or up to the end of the stream. */
    public static String line(InputStream in) throws IOException {
        StringBuilder text = new StringBuilder();
        for (int c; (c = in.read()) != -1 && c != '\n'; ) {
            text.append((char) c);
        }
        return text.toString();
    }

    /**
     * A TLS client that trusts the test CA, sends {@code sniName} and checks the certificate against it, as a
     * browser would; the handshake is done on return.
     */
    public static SSLSocket tlsClient(int port, String sniName) throws IOException {
        Socket raw = new Socket("127.0.0.1", port);
        SSLSocket socket = (SSLSocket) TestTls.trustingTestCa().getSocketFactory()
                .createSocket(raw, sniName, port, true);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(sniName)));
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        socket.startHandshake();
        return socket;
    }
}
