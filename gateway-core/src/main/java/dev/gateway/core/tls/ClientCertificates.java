package dev.gateway.core.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The client certificates an API accepts ({@code client_certificates} with {@code use_mutual_tls_auth}), and the
 * check of a client's chain against them. A client passes when its leaf certificate is one of them (by SHA-256
 * fingerprint of the DER, compared in constant time), or when its leaf chains up, through intermediates the client
 * sent, to one of them that is a CA. Only the leaf counts: unlike Tyk, which accepts a chain if any certificate in
 * it is listed, a client cannot pass by appending a listed certificate whose key it does not hold.
 *
 * <p>An entry of {@code client_certificates} is a PEM file (relative to the folder of {@code tyk.conf}; it may hold
 * several certificates), inline PEM, or a SHA-256 fingerprint in hex: Tyk's certificate IDs, {@code org_id}
 * followed by the fingerprint, pin the certificate by their last 64 hex digits, as no certificate store is here to
 * look them up in.
 *
 * <p>Immutable and thread-safe; built at load.
 */
public final class ClientCertificates {

    /** How a client's chain fared. */
    public enum Verdict {
        ALLOWED,
        /** The client sent no certificate. */
        MISSING,
        /** The leaf is listed, or chains to a listed CA, but a certificate of its chain is out of its validity. */
        EXPIRED,
        /** Neither listed nor issued by a listed CA. */
        NOT_ALLOWED
    }

    /**
     * The longest chain followed from the leaf to a listed CA, in certificates: a client's chain of more is
     * refused rather than searched.
     */
    static final int MAX_CHAIN = 8;

    private static final int FINGERPRINT_HEX = 64;

    /** A fingerprint, or a Tyk certificate ID: an org id (letters and digits) ending in one. */
    private static final Pattern FINGERPRINT = Pattern.compile("[0-9A-Za-z]*?([0-9A-Fa-f]{" + FINGERPRINT_HEX
            + "})");

    private static final HexFormat HEX = HexFormat.of();

    /** No certificate at all: everything is refused. */
    public static final ClientCertificates NONE = new ClientCertificates(List.of(), List.of());

    private final List<byte[]> fingerprints;
    private final List<TrustAnchor> authorities;

    private ClientCertificates(List<byte[]> fingerprints, List<TrustAnchor> authorities) {
        this.fingerprints = List.copyOf(fingerprints);
        this.authorities = List.copyOf(authorities);
    }

    /** One {@code client_certificates} entry, read: certificates from PEM, or a bare fingerprint. */
    public record Entry(List<X509Certificate> certificates, byte[] fingerprint) {
        public Entry {
            certificates = List.copyOf(certificates);
        }
    }

    /**
     * Reads one entry.
     *
     * @throws IOException saying what is wrong with it: a missing file, a file without a certificate
     */
    public static Entry read(String entry, Path confDir) throws IOException {
        String text = entry.strip();
        if (text.startsWith("-----BEGIN")) {
            return new Entry(parse(text.getBytes(StandardCharsets.US_ASCII), "inline PEM"), null);
        }
        Path file;
        try {
            file = confDir.resolve(text);
        } catch (InvalidPathException e) {
            file = null;
        }
        if (file != null && Files.isRegularFile(file)) {
            return new Entry(parse(Files.readAllBytes(file), file.toString()), null);
        }
        Matcher id = FINGERPRINT.matcher(text);
        if (id.matches()) {
            return new Entry(List.of(), HEX.parseHex(id.group(1).toLowerCase(Locale.ROOT)));
        }
        throw new IOException("'" + entry + "' is neither a readable PEM file (" + (file == null ? "not a path"
                : file + " does not exist") + ") nor a SHA-256 fingerprint of 64 hex digits");
    }

    private static List<X509Certificate> parse(byte[] pem, String source) throws IOException {
        Collection<? extends Certificate> read;
        try (InputStream in = new ByteArrayInputStream(pem)) {
            read = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (CertificateException e) {
            throw new IOException(source + " holds no readable PEM certificate: " + e.getMessage(), e);
        }
        if (read.isEmpty()) {
            throw new IOException(source + " holds no PEM certificate");
        }
        return read.stream().map(X509Certificate.class::cast).toList();
    }

    /** The certificates of {@code entries}: each listed one by fingerprint, and the CAs among them as issuers. */
    public static ClientCertificates of(Collection<Entry> entries) {
        List<byte[]> fingerprints = new ArrayList<>();
        List<TrustAnchor> authorities = new ArrayList<>();
        for (Entry entry : entries) {
            if (entry.fingerprint() != null) {
                fingerprints.add(entry.fingerprint().clone());
            }
            for (X509Certificate certificate : entry.certificates()) {
                fingerprints.add(digest(certificate));
                // As Tyk: only a CA issues; a listed leaf is matched by its fingerprint alone.
                if (certificate.getBasicConstraints() >= 0) {
                    authorities.add(new TrustAnchor(certificate, null));
                }
            }
        }
        return new ClientCertificates(fingerprints, authorities);
    }

    /** Reads every entry; the message of a failure names the entry's index. */
    public static ClientCertificates load(List<String> entries, Path confDir) throws IOException {
        List<Entry> read = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            try {
                read.add(read(entries.get(i), confDir));
            } catch (IOException e) {
                throw new IOException("client_certificates[" + i + "]: " + e.getMessage(), e);
            }
        }
        return of(read);
    }

    /** What every one of {@code sets} accepts: a port's handshake check, over the APIs it serves. */
    public static ClientCertificates union(Collection<ClientCertificates> sets) {
        List<byte[]> fingerprints = new ArrayList<>();
        List<TrustAnchor> authorities = new ArrayList<>();
        for (ClientCertificates set : sets) {
            fingerprints.addAll(set.fingerprints);
            authorities.addAll(set.authorities);
        }
        return new ClientCertificates(fingerprints, authorities);
    }

    /** Whether nothing at all is accepted. */
    public boolean isEmpty() {
        return fingerprints.isEmpty() && authorities.isEmpty();
    }

    /**
     * Checks a client's chain, leaf first, as the TLS session gives it.
     *
     * @param nowMillis the time certificates must be valid at
     */
    public Verdict check(List<X509Certificate> chain, long nowMillis) {
        if (chain.isEmpty()) {
            return Verdict.MISSING;
        }
        X509Certificate leaf = chain.get(0);
        byte[] fingerprint = digest(leaf);
        boolean listed = false;
        for (byte[] allowed : fingerprints) {
            // No early exit: the time taken says nothing about which entry, or how much of one, matched.
            listed |= MessageDigest.isEqual(allowed, fingerprint);
        }
        if (listed) {
            return validAt(leaf, nowMillis) ? Verdict.ALLOWED : Verdict.EXPIRED;
        }
        if (authorities.isEmpty() || chain.size() > MAX_CHAIN) {
            return Verdict.NOT_ALLOWED;
        }
        return issuedByListedCa(chain, nowMillis);
    }

    /**
     * PKIX validation (signatures, CA constraints, path length, validity; no revocation) of the client's chain up
     * to a listed CA, with each listed CA as the anchor in turn. A chain that fails only for a certificate's dates
     * is EXPIRED, so the client hears why.
     */
    private Verdict issuedByListedCa(List<X509Certificate> chain, long nowMillis) {
        Verdict verdict = Verdict.NOT_ALLOWED;
        try {
            CertPathValidator validator = CertPathValidator.getInstance("PKIX");
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (TrustAnchor anchor : authorities) {
                List<X509Certificate> path = pathTo(anchor.getTrustedCert(), chain);
                if (path == null) {
                    continue;
                }
                PKIXParameters parameters = new PKIXParameters(Set.of(anchor));
                parameters.setRevocationEnabled(false);
                parameters.setDate(new Date(nowMillis));
                try {
                    validator.validate(factory.generateCertPath(path), parameters);
                    if (validAt(anchor.getTrustedCert(), nowMillis)) {
                        return Verdict.ALLOWED;
                    }
                    verdict = Verdict.EXPIRED;
                } catch (CertPathValidatorException e) {
                    if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                            || e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                        verdict = Verdict.EXPIRED;
                    }
                }
            }
        } catch (GeneralSecurityException e) {
            return Verdict.NOT_ALLOWED;
        }
        return verdict;
    }

    /**
     * The client's chain from its leaf up to the certificate {@code authority} issued, following issuer names
     * through what the client sent; {@code null} when it does not reach the authority.
     */
    private static List<X509Certificate> pathTo(X509Certificate authority, List<X509Certificate> chain) {
        List<X509Certificate> path = new ArrayList<>();
        X509Certificate current = chain.get(0);
        while (path.size() < MAX_CHAIN) {
            path.add(current);
            if (current.getIssuerX500Principal().equals(authority.getSubjectX500Principal())) {
                return path;
            }
            X509Certificate next = null;
            for (int i = 1; i < chain.size() && next == null; i++) {
                X509Certificate candidate = chain.get(i);
                if (!path.contains(candidate)
                        && candidate.getSubjectX500Principal().equals(current.getIssuerX500Principal())) {
                    next = candidate;
                }
            }
            if (next == null) {
                return null;
            }
            current = next;
        }
        return null;
    }

    private static boolean validAt(X509Certificate certificate, long nowMillis) {
        return nowMillis >= certificate.getNotBefore().getTime() && nowMillis <= certificate.getNotAfter().getTime();
    }

    /** The SHA-256 fingerprint of a certificate's DER, in lower-case hex, as Tyk names certificates. */
    public static String fingerprint(X509Certificate certificate) {
        return HEX.formatHex(digest(certificate));
    }

    private static byte[] digest(X509Certificate certificate) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        } catch (CertificateException e) {
            throw new IllegalStateException("a parsed certificate has a DER encoding", e);
        }
    }
}
