package dev.gateway.tcp;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code pinned_public_keys}, as Tyk reads it: by upstream host (or {@code host:port}, or {@code *} for any), a
 * comma-separated list of pins, each the base64 SHA-256 of a certificate's SubjectPublicKeyInfo. An upstream
 * whose certificate's key matches none of its host's pins is refused, even when the certificate verifies.
 */
final class PublicKeyPins {

    private PublicKeyPins() {
    }

    /** The pins for an upstream, or an empty set when none apply. */
    static Set<String> forUpstream(Map<String, String> pins, String host, int port) {
        String listed = pins.get(host + ":" + port);
        if (listed == null) {
            listed = pins.get(host);
        }
        if (listed == null) {
            listed = pins.get("*");
        }
        if (listed == null) {
            return Set.of();
        }
        return Arrays.stream(listed.split(",")).map(String::trim).filter(pin -> !pin.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    /** The pin of a certificate: base64 of the SHA-256 of its public key's DER encoding. */
    static String pinOf(Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getPublicKey().getEncoded());
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
