package dev.gateway.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/** JDK TLS contexts from the PEM test material ({@link TestCerts}), for upstream servers and for clients. */
public final class TestTls {

    private static final char[] PASSWORD = "test".toCharArray();

    private TestTls() {
    }

    /** A server context presenting the certificate chain in {@code certPem} with the PKCS#8 key in {@code keyPem}. */
    public static SSLContext server(Path certPem, Path keyPem) throws IOException, GeneralSecurityException {
        Collection<? extends Certificate> chain = certificates(certPem);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", privateKey(keyPem), PASSWORD, chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }

    /** A client context that trusts only the certificates in {@code caPem}. */
    public static SSLContext trusting(Path caPem) throws IOException, GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustManagers(caPem), null);
        return context;
    }

    /**
     * A client context that trusts only the test CA, which signed {@code localhost.pem} and {@code example.pem}.
     *
     * <p>Each call makes a fresh context. The JDK caches sessions by address, not by SNI name, and offers a session
     * made under one name when connecting under another; a server accepting that TLS 1.3 resumption would show the
     * first name's certificate again. A fresh context per connection keeps each handshake a full one.
     */
    public static SSLContext trustingTestCa() {
        try {
            return trusting(TestCerts.caPem());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A client context that trusts only the test CA and presents the certificate in {@code certPem} with the
     * PKCS#8 key in {@code keyPem}, or no certificate when {@code certPem} is {@code null}: a client of a server
     * that asks for client certificates.
     */
    public static SSLContext presentingToTestCa(Path certPem, Path keyPem) throws IOException,
            GeneralSecurityException {
        KeyManager[] keys = null;
        if (certPem != null) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("client", privateKey(keyPem), PASSWORD,
                    certificates(certPem).toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, PASSWORD);
            keys = kmf.getKeyManagers();
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys, trustManagers(TestCerts.caPem()), null);
        return context;
    }

    /** The DNS names in a certificate's subject alternative names. */
    public static List<String> dnsNames(Certificate certificate) throws GeneralSecurityException {
        Collection<List<?>> sans = ((X509Certificate) certificate).getSubjectAlternativeNames();
        return sans == null ? List.of() : sans.stream()
                .filter(san -> Integer.valueOf(2).equals(san.get(0)))
                .map(san -> san.get(1).toString())
                .toList();
    }

    private static TrustManager[] trustManagers(Path caPem) throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        int i = 0;
        for (Certificate certificate : certificates(caPem)) {
            trust.setCertificateEntry("ca-" + i++, certificate);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        return tmf.getTrustManagers();
    }

    private static Collection<? extends Certificate> certificates(Path pem) throws IOException,
            GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
    }

    private static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
        String text = Files.readString(pem, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN PRIVATE KEY-----";
        int start = text.indexOf(begin);
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (start < 0 || end < start) {
            throw new IOException(pem + " holds no PKCS#8 private key");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(start + begin.length(), end));
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    }
}
