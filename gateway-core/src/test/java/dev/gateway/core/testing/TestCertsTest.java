package dev.gateway.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SignatureException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;

class TestCertsTest {

    @Test
    void copiesEveryFileIntoOneFolder() {
        List<Path> files = List.of(TestCerts.caPem(), TestCerts.caKey(), TestCerts.localhostPem(),
                TestCerts.localhostKey(), TestCerts.examplePem(), TestCerts.selfSignedPem(),
                TestCerts.selfSignedKey());
        for (Path file : files) {
            assertTrue(Files.isRegularFile(file), file + " should exist");
            assertEquals(TestCerts.directory(), file.getParent());
        }
    }

    @Test
    void keysArePkcs8AndExamplePemHoldsCertificateAndKey() throws Exception {
        for (Path key : List.of(TestCerts.caKey(), TestCerts.localhostKey(), TestCerts.selfSignedKey())) {
            assertTrue(Files.readString(key, StandardCharsets.US_ASCII).startsWith("-----BEGIN PRIVATE KEY-----"),
                    key + " should be PKCS#8");
        }
        String example = Files.readString(TestCerts.examplePem(), StandardCharsets.US_ASCII);
        assertTrue(example.contains("-----BEGIN CERTIFICATE-----"));
        assertTrue(example.contains("-----BEGIN PRIVATE KEY-----"));
    }

    @Test
    void caSignedServerCertificatesButNotTheSelfSignedOne() throws Exception {
        X509Certificate ca = read(TestCerts.caPem());

        read(TestCerts.localhostPem()).verify(ca.getPublicKey());
        read(TestCerts.examplePem()).verify(ca.getPublicKey());
        X509Certificate selfSigned = read(TestCerts.selfSignedPem());
        assertThrows(SignatureException.class, () -> selfSigned.verify(ca.getPublicKey()));
        selfSigned.verify(selfSigned.getPublicKey());
    }

    @Test
    void certificatesOutliveTheTestsuite() throws Exception {
        X509Certificate localhost = read(TestCerts.localhostPem());
        assertTrue(localhost.getNotAfter().toInstant().isAfter(java.time.Instant.parse("2100-01-01T00:00:00Z")));
    }

    private static X509Certificate read(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (java.security.cert.CertificateException e) {
            throw new IOException(e);
        }
    }
}
