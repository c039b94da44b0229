package dev.gateway.core.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SimpleTrustManagerFactory;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Whether a server context asks clients for a certificate, as Tyk's {@code getTLSConfigForClient} decides it:
 * <ul>
 *   <li>{@link #NONE}: no API behind the context uses {@code use_mutual_tls_auth};
 *   <li>{@link #optional()}: some do, some do not (Tyk's {@code RequestClientCert}). Any certificate is taken, and
 *       each mTLS API's request filter decides, so that the other APIs still serve clients without one;
 *   <li>{@link #required}: every API behind it does (Tyk's {@code RequireAndVerifyClientCert}). A client without
 *       an accepted certificate fails the handshake.
 * </ul>
 * The context names no acceptable CAs to the client (an empty {@code certificate_authorities} list): a list would
 * make clients hide certificates pinned by fingerprint whose issuer is not on it.
 *
 * @param mode how the context asks
 * @param accepted what {@code REQUIRE} accepts at the handshake; {@link ClientCertificates#NONE} otherwise
 */
public record ClientCertificateRequest(ClientAuth mode, ClientCertificates accepted) {

    public static final ClientCertificateRequest NONE =
            new ClientCertificateRequest(ClientAuth.NONE, ClientCertificates.NONE);

    private static final ClientCertificateRequest OPTIONAL =
            new ClientCertificateRequest(ClientAuth.OPTIONAL, ClientCertificates.NONE);

    public ClientCertificateRequest {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(accepted, "accepted");
    }

    /** Asks for a certificate, takes any the client proves it holds, and lets the request filters judge it. */
    public static ClientCertificateRequest optional() {
        return OPTIONAL;
    }

    /** Requires a certificate that {@code accepted} allows. */
    public static ClientCertificateRequest required(ClientCertificates accepted) {
        return new ClientCertificateRequest(ClientAuth.REQUIRE, accepted);
    }

    /** The trust manager the context checks client certificates with; {@code null} for {@link #NONE}. */
    TrustManagerFactory trustManagers() {
        return switch (mode) {
            case NONE -> null;
            // The handshake still proves the client holds the certificate's key; only the judging is deferred.
            case OPTIONAL -> InsecureTrustManagerFactory.INSTANCE;
            case REQUIRE -> new Checking(accepted);
        };
    }

    /** A trust manager factory whose one manager runs {@link ClientCertificates#check} on client chains. */
    private static final class Checking extends SimpleTrustManagerFactory {
        private final TrustManager manager;

        Checking(ClientCertificates accepted) {
            this.manager = new ClientChecker(accepted);
        }

        @Override
        protected void engineInit(KeyStore keyStore) {
        }

        @Override
        protected void engineInit(ManagerFactoryParameters parameters) {
        }

        @Override
        protected TrustManager[] engineGetTrustManagers() {
            return new TrustManager[] {manager};
        }
    }

    /** Judges client chains; a server context never verifies servers with it. */
    private static final class ClientChecker extends X509ExtendedTrustManager {
        private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

        private final ClientCertificates accepted;

        ClientChecker(ClientCertificates accepted) {
            this.accepted = accepted;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            ClientCertificates.Verdict verdict = accepted.check(Arrays.asList(chain), System.currentTimeMillis());
            if (verdict != ClientCertificates.Verdict.ALLOWED) {
                throw new CertificateException("client certificate " + verdict.name().toLowerCase(Locale.ROOT)
                        .replace('_', ' ') + (chain.length == 0 ? "" : ": SHA-256 "
                        + ClientCertificates.fingerprint(chain[0])));
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a server context does not verify servers");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return NO_ISSUERS;
        }
    }
}
