package dev.gateway.core.tls;

import dev.gateway.core.config.HttpServerOptions;
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

    private static final String[] TLS_1_2_AND_UP = {"TLSv1.3", "TLSv1.2"};
    private static final String[] TLS_1_3_ONLY = {"TLSv1.3"};

    private final SslContext verifyingClient;
    private final SslContext insecureClient;

    private TlsContexts(SslContext verifyingClient, SslContext insecureClient) {
        this.verifyingClient = verifyingClient;
        this.insecureClient = insecureClient;
    }

    /** Client contexts for upstream TLS. */
    public static TlsContexts forClients() throws SSLException {
        SslContext verifying = SslContextBuilder.forClient()
                .sslProvider(provider())
                .endpointIdentificationAlgorithm("HTTPS")
                .protocols(TLS_1_2_AND_UP)
                .build();
        SslContext insecure = SslContextBuilder.forClient()
                .sslProvider(provider())
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .endpointIdentificationAlgorithm(null)
                .protocols(TLS_1_2_AND_UP)
                .build();
        return new TlsContexts(verifying, insecure);
    }

    /** The context for an upstream: verifying unless {@code insecureSkipVerify}. */
    public SslContext client(boolean insecureSkipVerify) {
        return insecureSkipVerify ? insecureClient : verifyingClient;
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
        if (certificates.isEmpty()) {
            throw new IOException("a TLS listener needs at least one certificate");
        }
        DomainWildcardMappingBuilder<SslContext> builder =
                new DomainWildcardMappingBuilder<>(server(certificates.get(0), minVersion));
        for (PemKeyPair pair : certificates) {
            SslContext context = server(pair, minVersion);
            for (String name : pair.names()) {
                builder.add(name.toLowerCase(Locale.ROOT), context);
            }
        }
        return builder.build();
    }

    /** One server context. */
    public static SslContext server(PemKeyPair pair, int minVersion) throws IOException {
        try {
            return SslContextBuilder.forServer(pair.certFile().toFile(), pair.keyFile().toFile())
                    .sslProvider(provider())
                    .protocols(minVersion >= HttpServerOptions.TLS_1_3 ? TLS_1_3_ONLY : TLS_1_2_AND_UP)
                    .build();
        } catch (IllegalArgumentException | SSLException e) {
            throw new IOException("cannot use " + pair.certFile() + " with " + pair.keyFile() + ": "
                    + e.getMessage(), e);
        }
    }
}
