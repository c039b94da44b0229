package dev.gateway.core.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.testing.TestCerts;
import dev.gateway.core.tls.ClientCertificates.Verdict;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientCertificatesTest {

    private static final long NOW = System.currentTimeMillis();

    @TempDir
    Path dir;

    private static X509Certificate read(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private ClientCertificates allowing(String... entries) throws IOException {
        return ClientCertificates.load(List.of(entries), dir);
    }

    @Test
    void listedLeafPassesByFingerprintAndOthersAreNotAllowed() throws Exception {
        ClientCertificates accepted = allowing(TestCerts.selfSignedPem().toString());
        assertEquals(Verdict.ALLOWED, accepted.check(List.of(read(TestCerts.selfSignedPem())), NOW));
        assertEquals(Verdict.NOT_ALLOWED, accepted.check(List.of(read(TestCerts.clientPem())), NOW));
        assertEquals(Verdict.MISSING, accepted.check(List.of(), NOW));
    }

    @Test
    void aListedLeafIsNoIssuer() throws Exception {
        // localhost.pem is not a CA: a certificate it could not have signed anyway is not judged by it.
        ClientCertificates accepted = allowing(TestCerts.localhostPem().toString());
        assertEquals(Verdict.NOT_ALLOWED, accepted.check(List.of(read(TestCerts.clientPem())), NOW));
    }

    @Test
    void certificateIssuedByAListedCaPassesAndExpiredOneIsExpired() throws Exception {
        ClientCertificates accepted = allowing(TestCerts.caPem().toString());
        assertEquals(Verdict.ALLOWED, accepted.check(List.of(read(TestCerts.clientPem())), NOW));
        assertEquals(Verdict.EXPIRED, accepted.check(List.of(read(TestCerts.expiredClientPem())), NOW));
        assertEquals(Verdict.NOT_ALLOWED, accepted.check(List.of(read(TestCerts.selfSignedPem())), NOW));
    }

    @Test
    void listedButExpiredLeafIsExpired() throws Exception {
        ClientCertificates accepted = allowing(TestCerts.expiredClientPem().toString());
        assertEquals(Verdict.EXPIRED, accepted.check(List.of(read(TestCerts.expiredClientPem())), NOW));
    }

    @Test
    void appendingAListedCertificateToAnotherLeafDoesNotPass() throws Exception {
        // Tyk accepts a chain if any certificate in it is listed; here only the leaf, whose key the client proved.
        ClientCertificates accepted = allowing(TestCerts.clientPem().toString());
        assertEquals(Verdict.NOT_ALLOWED, accepted.check(
                List.of(read(TestCerts.selfSignedPem()), read(TestCerts.clientPem())), NOW));
    }

    @Test
    void fingerprintsAndTykCertificateIdsPinTheCertificate() throws Exception {
        String fingerprint = ClientCertificates.fingerprint(read(TestCerts.selfSignedPem()));
        X509Certificate client = read(TestCerts.selfSignedPem());
        assertEquals(Verdict.ALLOWED, allowing(fingerprint).check(List.of(client), NOW));
        assertEquals(Verdict.ALLOWED, allowing(fingerprint.toUpperCase()).check(List.of(client), NOW));
        assertEquals(Verdict.ALLOWED, allowing("5e9f0c1a2b3c4d5e6f7a8b9c" + fingerprint).check(List.of(client), NOW));
        assertEquals(Verdict.NOT_ALLOWED, allowing(fingerprint).check(List.of(read(TestCerts.clientPem())), NOW));
    }

    @Test
    void inlinePemAndRelativePathsAreRead() throws Exception {
        Files.copy(TestCerts.caPem(), dir.resolve("ca.pem"));
        X509Certificate client = read(TestCerts.clientPem());
        assertEquals(Verdict.ALLOWED, allowing("ca.pem").check(List.of(client), NOW));
        assertEquals(Verdict.ALLOWED, allowing(Files.readString(TestCerts.caPem())).check(List.of(client), NOW));
    }

    @Test
    void unreadableEntryIsNamedByIndex() {
        IOException e = assertThrows(IOException.class, () -> allowing(TestCerts.caPem().toString(), "nope.pem"));
        assertTrue(e.getMessage().startsWith("client_certificates[1]: 'nope.pem' is neither"), e.getMessage());
    }

    @Test
    void unionAcceptsWhatEitherAccepts() throws Exception {
        ClientCertificates union = ClientCertificates.union(List.of(allowing(TestCerts.selfSignedPem().toString()),
                allowing(TestCerts.caPem().toString())));
        assertEquals(Verdict.ALLOWED, union.check(List.of(read(TestCerts.selfSignedPem())), NOW));
        assertEquals(Verdict.ALLOWED, union.check(List.of(read(TestCerts.clientPem())), NOW));
    }
}
