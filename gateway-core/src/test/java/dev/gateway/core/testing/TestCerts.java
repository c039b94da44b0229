package dev.gateway.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The test TLS material under {@code src/test/resources/tls} (see the README there), as files on disk.
 *
 * <p>Other modules see these resources inside gateway-core's test-jar, where they have no path, while the code
 * under test reads PEM files by path. So the first call copies every file once into one temporary folder
 * (deleted when the JVM exits) and each helper returns the copy. Keeping them in one folder matters:
 * {@code localhost.pem} finds {@code localhost.key} beside it, as a Tyk {@code certificates} entry would.
 */
public final class TestCerts {

    private static final String RESOURCE_FOLDER = "/tls/";

    /** Every file the folder holds; all are copied together so sibling lookups work. */
    private static final List<String> FILES = List.of(
            "ca.pem", "ca.key",
            "localhost.pem", "localhost.key",
            "example.pem",
            "selfsigned.pem", "selfsigned.key",
            "client.pem", "client.key",
            "client-expired.pem", "client-expired.key");

    private static Path directory;

    private TestCerts() {
    }

    /** The folder holding the copies of every file. */
    public static synchronized Path directory() {
        if (directory == null) {
            directory = copyAll();
        }
        return directory;
    }

    /** The test CA's certificate: trust it to accept {@link #localhostPem()} and {@link #examplePem()}. */
    public static Path caPem() {
        return file("ca.pem");
    }

    /** The test CA's PKCS#8 private key. */
    public static Path caKey() {
        return file("ca.key");
    }

    /** Server certificate for {@code localhost} and {@code 127.0.0.1}, signed by the CA; key in {@link #localhostKey()}. */
    public static Path localhostPem() {
        return file("localhost.pem");
    }

    /** The PKCS#8 key of {@link #localhostPem()}, in the same folder. */
    public static Path localhostKey() {
        return file("localhost.key");
    }

    /**
     * Server certificate for {@code api.example.com} and {@code *.wild.example.com}, signed by the CA, followed by
     * its PKCS#8 key in the same file.
     */
    public static Path examplePem() {
        return file("example.pem");
    }

    /** A self-signed certificate for {@code localhost} and {@code 127.0.0.1} that the CA did not sign. */
    public static Path selfSignedPem() {
        return file("selfsigned.pem");
    }

    /** The PKCS#8 key of {@link #selfSignedPem()}, in the same folder. */
    public static Path selfSignedKey() {
        return file("selfsigned.key");
    }

    /** A client certificate ({@code clientAuth}) signed by the CA; key in {@link #clientKey()}. */
    public static Path clientPem() {
        return file("client.pem");
    }

    /** The PKCS#8 key of {@link #clientPem()}. */
    public static Path clientKey() {
        return file("client.key");
    }

    /** A client certificate signed by the CA that expired on 2021-01-01; key in {@link #expiredClientKey()}. */
    public static Path expiredClientPem() {
        return file("client-expired.pem");
    }

    /** The PKCS#8 key of {@link #expiredClientPem()}. */
    public static Path expiredClientKey() {
        return file("client-expired.key");
    }

    private static Path file(String name) {
        return directory().resolve(name);
    }

    private static Path copyAll() {
        try {
            Path dir = Files.createTempDirectory("gateway-test-certs");
            // deleteOnExit runs in reverse order of registration: the files go first, then the folder.
            dir.toFile().deleteOnExit();
            for (String name : FILES) {
                Path target = dir.resolve(name);
                try (InputStream in = TestCerts.class.getResourceAsStream(RESOURCE_FOLDER + name)) {
                    if (in == null) {
                        throw new IllegalStateException("test resource " + RESOURCE_FOLDER + name
                                + " is not on the classpath (is gateway-core's test-jar a test dependency?)");
                    }
                    Files.copy(in, target);
                }
                target.toFile().deleteOnExit();
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the test certificates to a temporary folder", e);
        }
    }
}
