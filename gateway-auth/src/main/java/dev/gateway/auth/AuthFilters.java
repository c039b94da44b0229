package dev.gateway.auth;

import dev.gateway.auth.internal.ApiAccessFilter;
import dev.gateway.auth.internal.KeyStateFilter;
import dev.gateway.auth.internal.MutualTlsFilter;
import dev.gateway.auth.internal.SessionKey;
import dev.gateway.auth.internal.TokenAuthFilter;
import dev.gateway.auth.internal.UrlAccessFilter;
import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.Session;
import dev.gateway.core.tls.ClientCertificates;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.RequestFilter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An API's authentication chain, in Tyk's order: the key (token auth), the key's state (inactive, expired), its
 * rights on the API and on the path ({@code allowed_urls}); mutual TLS ({@link #mutualTls}) goes first, as Tyk's
 * {@code CertificateCheckMW} does. Basic auth, policies, rate limits and quotas join it as they land.
 */
public final class AuthFilters {

    private static final Logger log = LoggerFactory.getLogger(AuthFilters.class);

    /** The session of the key a request carried, for filters after authentication. */
    public static final FilteredRequest.Key<Session> SESSION = SessionKey.SESSION;

    private final KeyStore store;
    private final boolean hashKeys;
    /** Shared by every API, so a session's URL list is compiled once. */
    private final UrlAccessFilter urls;

    /**
     * @param hashKeys Tyk's {@code hash_keys}: sessions are stored under the key's hash
     * @param ignoreEndpointCase Tyk's {@code ignore_endpoint_case}: allowed URLs match whatever the path's case
     */
    public AuthFilters(KeyStore store, boolean hashKeys, boolean ignoreEndpointCase) {
        this.store = store;
        this.hashKeys = hashKeys;
        this.urls = new UrlAccessFilter(ignoreEndpointCase);
    }

    /** The token-auth chain for {@code api}, whatever its {@code use_keyless} says. */
    public List<RequestFilter> tokenAuth(ApiDefinition api) {
        return List.of(new TokenAuthFilter(api, store, hashKeys),
                new KeyStateFilter(() -> System.currentTimeMillis() / 1000), new ApiAccessFilter(), urls);
    }

    /**
     * The static mutual-TLS check for {@code api} ({@code use_mutual_tls_auth} with {@code client_certificates}),
     * first in its chain; {@code null} when the API does not use it. The API must be served over TLS: a cleartext
     * one is refused at load.
     *
     * @param confDir the folder of {@code tyk.conf}, which relative {@code client_certificates} paths start from
     */
    public RequestFilter mutualTls(ApiDefinition api, Path confDir) {
        if (!api.useMutualTlsAuth()) {
            return null;
        }
        ClientCertificates accepted;
        try {
            accepted = ClientCertificates.load(api.clientCertificates(), confDir);
        } catch (IOException e) {
            // Read once at load already; a file that went since then fails closed, refusing every client.
            log.error("api={} accepts no client certificate: {}", api.apiId(), e.getMessage());
            accepted = ClientCertificates.NONE;
        }
        return new MutualTlsFilter(accepted, System::currentTimeMillis);
    }
}
