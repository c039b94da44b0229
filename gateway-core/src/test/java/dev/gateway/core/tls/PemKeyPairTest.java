package dev.gateway.core.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.testing.TestCerts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemKeyPairTest {

    @TempDir
    Path dir;

    @Test
    void combinedFileIsBothCertificateAndKey() throws Exception {
        PemKeyPair pair = PemKeyPair.fromPath(TestCerts.examplePem());

        assertEquals(TestCerts.examplePem(), pair.certFile());
        assertEquals(TestCerts.examplePem(), pair.keyFile());
    }

    @Test
    void pemWithKeyBesideItFindsTheKey() throws Exception {
        PemKeyPair pair = PemKeyPair.fromPath(TestCerts.localhostPem());

        assertEquals(TestCerts.localhostPem(), pair.certFile());
        assertEquals(TestCerts.localhostKey(), pair.keyFile());
    }

    @Test
    void crtWithKeyBesideItFindsTheKey() throws Exception {
        Path crt = Files.copy(TestCerts.localhostPem(), dir.resolve("server.crt"));
        Path key = Files.copy(TestCerts.localhostKey(), dir.resolve("server.key"));

        PemKeyPair pair = PemKeyPair.fromPath(crt);

        assertEquals(crt, pair.certFile());
        assertEquals(key, pair.keyFile());
    }

    @Test
    void missingKeyFileIsAnIoExceptionNamingTheExpectedKey() throws Exception {
        Path pem = Files.copy(TestCerts.localhostPem(), dir.resolve("lonely.pem"));

        IOException e = assertThrows(IOException.class, () -> PemKeyPair.fromPath(pem));

        assertTrue(e.getMessage().contains("lonely.key"), e.getMessage());
        assertTrue(e.getMessage().contains("no private key"), e.getMessage());
        assertTrue(e.getMessage().contains(pem.toString()), e.getMessage());
    }

    @Test
    void separateFilesWithMissingKeyIsAnIoExceptionNamingTheKeyFile() {
        Path key = dir.resolve("absent.key");

        IOException e = assertThrows(IOException.class, () -> PemKeyPair.of(TestCerts.localhostPem(), key));

        assertTrue(e.getMessage().contains("key file"), e.getMessage());
        assertTrue(e.getMessage().contains(key.toString()), e.getMessage());
    }

    @Test
    void separateFilesWithMissingCertificateIsAnIoExceptionNamingIt() {
        Path cert = dir.resolve("absent.pem");

        IOException e = assertThrows(IOException.class, () -> PemKeyPair.of(cert, TestCerts.localhostKey()));

        assertTrue(e.getMessage().contains("certificate file"), e.getMessage());
        assertTrue(e.getMessage().contains(cert.toString()), e.getMessage());
    }

    @Test
    void missingPathIsAnIoExceptionNamingIt() {
        Path missing = dir.resolve("nowhere.pem");
        IOException e = assertThrows(IOException.class, () -> PemKeyPair.fromPath(missing));
        assertTrue(e.getMessage().contains(missing + " does not exist"), e.getMessage());
    }

    @Test
    void fileWithoutCertificateIsAnIoExceptionNamingIt() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
        Files.copy(TestCerts.localhostKey(), dir.resolve("garbage.key"));

        IOException e = assertThrows(IOException.class, () -> PemKeyPair.fromPath(garbage));

        assertTrue(e.getMessage().contains(garbage.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("certificate"), e.getMessage());
    }

    @Test
    void namesComeFromDnsSubjectAlternativeNames() throws Exception {
        assertEquals(List.of("api.example.com", "*.wild.example.com"),
                PemKeyPair.fromPath(TestCerts.examplePem()).names());
    }

    @Test
    void ipAddressSubjectAlternativeNamesAreNotNames() throws Exception {
        assertEquals(List.of("localhost"), PemKeyPair.fromPath(TestCerts.localhostPem()).names());
    }

    @Test
    void commonNameIsTheNameWhenThereAreNoSubjectAlternativeNames() throws Exception {
        // The test CA carries no SAN extension, only CN=Gateway Test CA.
        assertEquals(List.of("gateway test ca"), PemKeyPair.of(TestCerts.caPem(), TestCerts.caKey()).names());
    }
}
