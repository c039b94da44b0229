package dev.gateway.core.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * A certificate chain and its private key, in PEM. Tyk's {@code certificates} entries name one path: either a
 * file holding both, or {@code x.pem} (or {@code x.crt}) with {@code x.key} beside it.
 *
 * @param names the DNS names the leaf certificate covers (subject alternative names, else the common name)
 */
public record PemKeyPair(Path certFile, Path keyFile, List<String> names) {

    /** What a {@code certificates} entry must be, for the messages about one that is not. */
    public static final String EXPECTED_ENTRY = "expected a path to a PEM file holding the certificate, with its key"
            + " beside it (x.pem and x.key) or in the same file";

    private static final int SAN_DNS = 2;
    private static final String PKCS8_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String PKCS8_END = "-----END PRIVATE KEY-----";

    /** Resolves a single-path entry. */
    public static PemKeyPair fromPath(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new IOException("certificate file " + path + " does not exist");
        }
        String text = Files.readString(path, StandardCharsets.US_ASCII);
        if (text.contains("PRIVATE KEY-----")) {
            return of(path, path);
        }
        Path key = keyBeside(path);
        if (!Files.isRegularFile(key)) {
            throw new IOException(path + " holds no private key, and " + key.getFileName() + " is not beside it");
        }
        return of(path, key);
    }

    /** Where a single-path entry's key is when its file holds none: {@code x.key} beside {@code x.pem}. */
    public static Path keyBeside(Path certFile) {
        String file = certFile.getFileName().toString();
        int dot = file.lastIndexOf('.');
        return certFile.resolveSibling((dot > 0 ? file.substring(0, dot) : file) + ".key");
    }

    /** A certificate file and a key file. */
    public static PemKeyPair of(Path certFile, Path keyFile) throws IOException {
        if (!Files.isRegularFile(certFile)) {
            throw new IOException("certificate file " + certFile + " does not exist");
        }
        if (!Files.isRegularFile(keyFile)) {
            throw new IOException("key file " + keyFile + " does not exist");
        }
        X509Certificate leaf;
        try (InputStream in = Files.newInputStream(certFile)) {
            leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (CertificateException e) {
            throw new IOException(certFile + " holds no readable PEM certificate: " + e.getMessage(), e);
        }
        checkKeyMatches(leaf, keyFile);
        return new PemKeyPair(certFile, keyFile, leafNames(leaf, certFile));
    }

    /**
     * Refuses a key that does not belong to the certificate, which would otherwise load and then fail every
     * handshake with an opaque alert. PKCS#8 keys are checked by signing with the key and verifying with the
     * certificate; other encodings are left to the TLS provider, which reports its own error at load.
     */
    private static void checkKeyMatches(X509Certificate leaf, Path keyFile) throws IOException {
        String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        int begin = pem.indexOf(PKCS8_BEGIN);
        int end = pem.indexOf(PKCS8_END);
        if (begin < 0 || end < begin) {
            return;
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + PKCS8_BEGIN.length(), end));
        PublicKey certKey = leaf.getPublicKey();
        try {
            PrivateKey key = KeyFactory.getInstance(certKey.getAlgorithm())
                    .generatePrivate(new PKCS8EncodedKeySpec(der));
            String algorithm = certKey.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            if (!certKey.getAlgorithm().equals("EC") && !certKey.getAlgorithm().equals("RSA")) {
                return;
            }
            byte[] probe = "gateway key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certKey);
            verifier.update(probe);
            if (!verifier.verify(signer.sign())) {
                throw new IOException(keyFile + " is not the private key of the certificate in " + leaf
                        .getSubjectX500Principal().getName());
            }
        } catch (InvalidKeySpecException e) {
            throw new IOException(keyFile + " is not a " + certKey.getAlgorithm() + " private key matching its "
                    + "certificate", e);
        } catch (GeneralSecurityException e) {
            throw new IOException(keyFile + " cannot be checked against its certificate: " + e.getMessage(), e);
        }
    }

    private static List<String> leafNames(X509Certificate leaf, Path certFile) throws IOException {
        Set<String> names = new LinkedHashSet<>();
        try {
            if (leaf.getSubjectAlternativeNames() != null) {
                for (List<?> san : leaf.getSubjectAlternativeNames()) {
                    if (san.size() == 2 && Integer.valueOf(SAN_DNS).equals(san.get(0))) {
                        names.add(san.get(1).toString().toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new IOException(certFile + ": unreadable subject alternative names", e);
        }
        if (names.isEmpty()) {
            try {
                for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        names.add(rdn.getValue().toString().toLowerCase(Locale.ROOT));
                    }
                }
            } catch (InvalidNameException e) {
                throw new IOException(certFile + ": unreadable subject", e);
            }
        }
        return new ArrayList<>(names);
    }
}
