package dev.gateway.core.tls;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * Builds TLS contexts once, at load. Server side: a context per certificate, picked by SNI (exact names, then
 * {@code *.domain} wildcards, then the first certificate as the default). Client side: one verifying context
 * (system CAs, host name checked, SNI sent) and one that skips verification.
 */
public final class TlsContexts {

    /**
     * TLS 1.3 as Tyk numbers versions in {@code min_version}. Defined here, and read by the config records, so
     * that the config package may read certificates through this one without the two depending on each other.
     */
    public static final int TYK_TLS_1_3 = 772;

    private static final String[] TLS_1_2_AND_UP = {"TLSv1.3", "TLSv1.2"};
    private static final String[] TLS_1_3_ONLY = {"TLSv1.3"};

    /** ALPN for servers that speak HTTP/2: {@code h2} preferred, HTTP/1.1 for clients that offer only that. */
    private static final ApplicationProtocolConfig SERVER_ALPN = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1);

    /** ALPN towards HTTP/2 upstreams: {@code h2} only; an upstream that does not pick it fails the handshake. */
    private static final ApplicationProtocolConfig CLIENT_H2_ALPN = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2);

    private final SslContext verifyingClient;
    private final SslContext insecureClient;
    private final SslContext verifyingH2Client;
    private final SslContext insecureH2Client;

    private TlsContexts(SslContext verifyingClient, SslContext insecureClient, SslContext verifyingH2Client,
            SslContext insecureH2Client) {
        this.verifyingClient = verifyingClient;
        this.insecureClient = insecureClient;
        this.verifyingH2Client = verifyingH2Client;
        this.insecureH2Client = insecureH2Client;
    }

    /** Client contexts for upstream TLS. */
    public static TlsContexts forClients() throws SSLException {
        return new TlsContexts(client(true, null), client(false, null), client(true, CLIENT_H2_ALPN),
                client(false, CLIENT_H2_ALPN));
    }

    private static SslContext client(boolean verify, ApplicationProtocolConfig alpn) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient()
                .sslProvider(provider())
                .protocols(TLS_1_2_AND_UP)
                .applicationProtocolConfig(alpn);
        if (verify) {
            builder.endpointIdentificationAlgorithm("HTTPS");
        } else {
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
        }
        return builder.build();
    }

    /** The context for an upstream: verifying unless {@code insecureSkipVerify}. */
    public SslContext client(boolean insecureSkipVerify) {
        return insecureSkipVerify ? insecureClient : verifyingClient;
    }

    /**
     * A client context that presents {@code certificate} to the upstream ({@code upstream_certificates}),
     * verifying the upstream unless {@code insecureSkipVerify}.
     */
    public static SslContext clientPresenting(PemKeyPair certificate, boolean insecureSkipVerify) throws IOException {
        try {
            SslContextBuilder builder = SslContextBuilder.forClient()
                    .sslProvider(provider())
                    .protocols(TLS_1_2_AND_UP)
                    .keyManager(certificate.certFile().toFile(), certificate.keyFile().toFile());
            if (insecureSkipVerify) {
                builder.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
            } else {
                builder.endpointIdentificationAlgorithm("HTTPS");
            }
            return builder.build();
        } catch (IllegalArgumentException | SSLException e) {
            throw new IOException("cannot use " + certificate.certFile() + " as a client certificate: "
                    + e.getMessage(), e);
        }
    }

    /** The context for an HTTP/2 upstream, which offers ALPN {@code h2}: verifying unless {@code insecureSkipVerify}. */
    public SslContext http2Client(boolean insecureSkipVerify) {
        return insecureSkipVerify ? insecureH2Client : verifyingH2Client;
    }

    /** OpenSSL (BoringSSL) where it loads, the JDK's provider otherwise. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /**
     * SNI mapping over server certificates.
     *
     * @param certificates at least one; the first is the default for clients that send no or an unknown name
     * @param minVersion Tyk's code for the lowest TLS version (771 = 1.2, 772 = 1.3)
     */
    public static Mapping<String, SslContext> serverMapping(List<PemKeyPair> certificates, int minVersion)
            throws IOException {
        return serverMapping(certificates, minVersion, false);
    }

    /**
     * SNI mapping over server certificates, offering ALPN {@code h2} and {@code http/1.1} when {@code http2}.
     *
     * @param certificates at least one; the first is the default for clients that send no or an unknown name
     * @param minVersion Tyk's code for the lowest TLS version (771 = 1.2, 772 = 1.3)
     */
    public static Mapping<String, SslContext> serverMapping(List<PemKeyPair> certificates, int minVersion,
            boolean http2) throws IOException {
        return serverMapping(certificates, minVersion, http2, ClientCertificateRequest.NONE);
    }

    /**
     * SNI mapping over server certificates, offering ALPN {@code h2} and {@code http/1.1} when {@code http2}, every
     * context asking for client certificates as {@code clients} says.
     *
     * @param certificates at least one; the first is the default for clients that send no or an unknown name
     * @param minVersion Tyk's code for the lowest TLS version (771 = 1.2, 772 = 1.3)
     */
    public static Mapping<String, SslContext> serverMapping(List<PemKeyPair> certificates, int minVersion,
            boolean http2, ClientCertificateRequest clients) throws IOException {
        if (certificates.isEmpty()) {
            throw new IOException("a TLS listener needs at least one certificate");
        }
        DomainWildcardMappingBuilder<SslContext> builder =
                new DomainWildcardMappingBuilder<>(server(certificates.get(0), minVersion, http2, clients));
        for (PemKeyPair pair : certificates) {
            SslContext context = server(pair, minVersion, http2, clients);
            for (String name : pair.names()) {
                builder.add(name.toLowerCase(Locale.ROOT), context);
            }
        }
        return builder.build();
    }

    /** One server context. */
    public static SslContext server(PemKeyPair pair, int minVersion) throws IOException {
        return server(pair, minVersion, false);
    }

    /** One server context, offering ALPN {@code h2} and {@code http/1.1} when {@code http2}; no client certificates. */
    public static SslContext server(PemKeyPair pair, int minVersion, boolean http2) throws IOException {
        return server(pair, minVersion, http2, ClientCertificateRequest.NONE);
    }

    /**
     * One server context, offering ALPN {@code h2} and {@code http/1.1} when {@code http2}, asking clients for
     * certificates as {@code clients} says. Its session tickets are sealed with {@link SessionTicketKeys}' key for
     * the certificate, so sessions resume across reloads; except where the handshake itself judges client
     * certificates ({@code REQUIRE}): a resumed session skips that check, so such a session must not outlive a
     * reload that may have taken its certificate off the list. (Where a request filter judges them, it does so on
     * every request, resumed or not.)
     */
    public static SslContext server(PemKeyPair pair, int minVersion, boolean http2, ClientCertificateRequest clients)
            throws IOException {
        try {
            SslContextBuilder builder = SslContextBuilder.forServer(pair.certFile().toFile(), pair.keyFile().toFile())
                    .sslProvider(provider())
                    .protocols(minVersion >= TYK_TLS_1_3 ? TLS_1_3_ONLY : TLS_1_2_AND_UP)
                    .applicationProtocolConfig(http2 ? SERVER_ALPN : null)
                    .clientAuth(clients.mode());
            if (clients.mode() != ClientAuth.NONE) {
                builder.trustManager(clients.trustManagers());
            }
            SslContext context = builder.build();
            if (clients.mode() != ClientAuth.REQUIRE) {
                SessionTicketKeys.apply(context, pair.certFile());
            }
            return context;
        } catch (IllegalArgumentException | SSLException e) {
            throw new IOException("cannot use " + pair.certFile() + " with " + pair.keyFile() + ": "
                    + e.getMessage(), e);
        }
    }
}
