package dev.gateway.core.tls;

import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys that seal the session tickets of server contexts: one per certificate, derived from a secret the process
 * draws at start, so a reload (which builds every context anew) keeps the tickets that clients hold valid, and a
 * ticket issued with one certificate never resumes a session under another.
 *
 * <p>Without them a context seals tickets with keys of its own, drawn when it is built (TLS 1.3), and keeps TLS 1.2
 * sessions only in its own cache: every reload turned every returning client's resumption into a full handshake,
 * and TLS 1.2 clients could resume only while their session was in that cache. With them TLS 1.2 gets tickets too.
 * The keys live as long as the process, as nginx's and HAProxy's do unless they are given key files; a restart
 * draws new ones.
 */
final class SessionTicketKeys {

    private static final String MAC = "HmacSHA512";
    /** Drawn once; never leaves the process. 64 bytes: HMAC-SHA-512's block. */
    private static final byte[] SECRET = secret();

    private SessionTicketKeys() {
    }

    /**
     * Seals {@code context}'s tickets with the key for the certificate in {@code certFile}. A context whose provider
     * has no ticket keys to set (the JDK's) is left as it is.
     */
    static void apply(SslContext context, Path certFile) throws IOException {
        if (context.sessionContext() instanceof OpenSslSessionContext sessions) {
            sessions.setTicketKeys(forCertificate(Files.readAllBytes(certFile)));
        }
    }

    private static byte[] secret() {
        byte[] secret = new byte[64];
        new SecureRandom().nextBytes(secret);
        return secret;
    }

    /** The key for a certificate file's bytes: its name, HMAC key and AES key cut from HMAC-SHA-512(secret, bytes). */
    static OpenSslSessionTicketKey forCertificate(byte[] certificate) {
        byte[] material;
        try {
            Mac mac = Mac.getInstance(MAC);
            mac.init(new SecretKeySpec(SECRET, MAC));
            material = mac.doFinal(certificate);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(MAC + " is missing from the JDK", e);
        }
        int name = OpenSslSessionTicketKey.NAME_SIZE;
        int hmac = name + OpenSslSessionTicketKey.HMAC_KEY_SIZE;
        int aes = hmac + OpenSslSessionTicketKey.AES_KEY_SIZE;
        return new OpenSslSessionTicketKey(Arrays.copyOfRange(material, 0, name),
                Arrays.copyOfRange(material, name, hmac), Arrays.copyOfRange(material, hmac, aes));
    }
}
