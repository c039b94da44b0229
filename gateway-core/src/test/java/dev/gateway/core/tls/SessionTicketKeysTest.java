package dev.gateway.core.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.gateway.core.testing.TestCerts;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SessionTicketKeysTest {

    @Test
    void sameCertificateGetsTheSameKeyEveryTime() throws Exception {
        byte[] localhost = Files.readAllBytes(TestCerts.localhostPem());

        OpenSslSessionTicketKey first = SessionTicketKeys.forCertificate(localhost);
        OpenSslSessionTicketKey again = SessionTicketKeys.forCertificate(localhost.clone());

        assertArrayEquals(first.name(), again.name());
        assertArrayEquals(first.hmacKey(), again.hmacKey());
        assertArrayEquals(first.aesKey(), again.aesKey());
    }

    @Test
    void anotherCertificateGetsAnotherKeySoItsTicketsDoNotResumeHere() throws Exception {
        OpenSslSessionTicketKey localhost =
                SessionTicketKeys.forCertificate(Files.readAllBytes(TestCerts.localhostPem()));
        OpenSslSessionTicketKey example =
                SessionTicketKeys.forCertificate(Files.readAllBytes(TestCerts.examplePem()));

        assertFalse(Arrays.equals(localhost.name(), example.name()));
        assertFalse(Arrays.equals(localhost.hmacKey(), example.hmacKey()));
        assertFalse(Arrays.equals(localhost.aesKey(), example.aesKey()));
    }

    @Test
    void keyPartsHaveTheSizesOpenSslTakes() throws Exception {
        OpenSslSessionTicketKey key = SessionTicketKeys.forCertificate(Files.readAllBytes(TestCerts.localhostPem()));

        assertEquals(OpenSslSessionTicketKey.NAME_SIZE, key.name().length);
        assertEquals(OpenSslSessionTicketKey.HMAC_KEY_SIZE, key.hmacKey().length);
        assertEquals(OpenSslSessionTicketKey.AES_KEY_SIZE, key.aesKey().length);
    }
}
