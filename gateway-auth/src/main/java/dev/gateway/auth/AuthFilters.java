package dev.gateway.auth;

import dev.gateway.auth.internal.ApiAccessFilter;
import dev.gateway.auth.internal.BasicAuthFilter;
import dev.gateway.auth.internal.KeyStateFilter;
import dev.gateway.auth.internal.MutualTlsFilter;
import dev.gateway.auth.internal.PasswordChecks;
import dev.gateway.auth.internal.PolicyApplier;
import dev.gateway.auth.internal.RateHeadersFilter;
import dev.gateway.auth.internal.SessionFilters;
import dev.gateway.auth.internal.SessionKey;
import dev.gateway.auth.internal.TokenAuthFilter;
import dev.gateway.auth.internal.UrlAccessFilter;
import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.AuthSettings;
import dev.gateway.core.config.Policy;
import dev.gateway.core.keys.KeyLookup;
import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.LimitStore;
import dev.gateway.core.keys.MemoryLimitStore;
import dev.gateway.core.keys.Session;
import dev.gateway.core.tls.ClientCertificates;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.ResponseFilter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An API's access chain, in Tyk's order: mutual TLS (Tyk's {@code CertificateCheckMW}, keyless APIs included),
 * authentication (basic auth, then the key by token), with the policies the key names applied, stripping the
 * credentials ({@code strip_auth_data}), the key's state (inactive, expired), its rights on the API and on the path
 * ({@code allowed_urls}), its rate limit and quota, then the API's own limit ({@code global_rate_limit}, which
 * keyless APIs have too). Closing it stops the bcrypt threads of basic auth.
 */
public final class AuthFilters implements AutoCloseable {

    /** The session of the key a request carried, for filters after authentication. */
    public static final FilteredRequest.Key<Session> SESSION = SessionKey.SESSION;

    private static final Logger log = LoggerFactory.getLogger(AuthFilters.class);

    private static final LongSupplier EPOCH_SECONDS = () -> System.currentTimeMillis() / 1000;

    private final KeyLookup keys;
    private final LimitStore limits;
    private final AuthSettings settings;
    private final Supplier<Map<String, Policy>> policies;
    private final PasswordChecks passwords = new PasswordChecks();
    /** Shared by every API, so a session's URL list is compiled once. */
    private final UrlAccessFilter urls;
    /** The folder of {@code tyk.conf}, which relative {@code client_certificates} paths start from. */
    private final Path confDir;

    /**
     * @param confDir the folder of {@code tyk.conf}
     * @param settings {@code tyk.conf}'s key settings: {@code hash_keys}, the rate-limit headers
     * @param ignoreEndpointCase Tyk's {@code ignore_endpoint_case}: allowed URLs match whatever the path's case
     * @param policies the policies by id ({@code PolicyLoader}), asked on every request, so that a reload swaps
     *     them by handing out a new map
     */
    public AuthFilters(KeyStore store, LimitStore limits, AuthSettings settings, boolean ignoreEndpointCase,
            Path confDir, Supplier<Map<String, Policy>> policies) {
        this.confDir = confDir;
        this.policies = policies;
        this.keys = new KeyLookup(store, settings.hashKeys(), settings.hashKeyFunction());
        this.limits = limits;
        this.settings = settings;
        this.urls = new UrlAccessFilter(ignoreEndpointCase);
    }

    /** With limits counted in memory, no policies, and every other setting at its default but {@code hashKeys}. */
    public AuthFilters(KeyStore store, boolean hashKeys, boolean ignoreEndpointCase) {
        this(store, new AuthSettings(null, hashKeys, null, null, false, false, null, false, false, null, null, null,
                null, false), ignoreEndpointCase, Map::of);
    }

    /** With limits counted in memory. */
    public AuthFilters(KeyStore store, AuthSettings settings, boolean ignoreEndpointCase,
            Supplier<Map<String, Policy>> policies) {
        this(store, new MemoryLimitStore(), settings, ignoreEndpointCase, Path.of("."), policies);
    }

    /** The whole access chain of {@code api}: empty for a keyless API without limits of its own. */
    public List<RequestFilter> of(ApiDefinition api) {
        List<RequestFilter> chain = new ArrayList<>();
        RequestFilter mutualTls = mutualTls(api, confDir);
        if (mutualTls != null) {
            chain.add(mutualTls);
        }
        if (!api.useKeyless()) {
            if (api.useBasicAuth()) {
                chain.add(basicAuthFilter(api));
            }
            // Tyk's api_loader: token auth with use_standard_auth, or when no other mode is on.
            if (api.useStandardAuth() || !api.useBasicAuth()) {
                chain.add(tokenAuthFilter(api));
            }
            chain.addAll(keyChecks(api));
            if (!(api.disableRateLimit() && api.disableQuota())) {
                chain.add(SessionFilters.rateLimit(limits, settings, !api.disableRateLimit(), !api.disableQuota(),
                        EPOCH_SECONDS));
            }
        }
        RequestFilter apiLimit = SessionFilters.apiRateLimit(api, limits, settings.hashKeys());
        if (apiLimit != null) {
            chain.add(apiLimit);
        }
        return List.copyOf(chain);
    }

    /** The response filters of {@code api}: the {@code X-RateLimit-*} headers of a key's limits. */
    public List<ResponseFilter> responseFilters(ApiDefinition api) {
        return api.useKeyless() ? List.of() : List.of(RateHeadersFilter.INSTANCE);
    }

    /** Token authentication and the key checks after it, whatever {@code api}'s {@code use_keyless} says. */
    public List<RequestFilter> tokenAuth(ApiDefinition api) {
        List<RequestFilter> chain = new ArrayList<>();
        chain.add(tokenAuthFilter(api));
        chain.addAll(keyChecks(api));
        return List.copyOf(chain);
    }

    /** Basic authentication and the key checks after it, whatever {@code api}'s flags say. */
    public List<RequestFilter> basicAuth(ApiDefinition api) {
        List<RequestFilter> chain = new ArrayList<>();
        chain.add(basicAuthFilter(api));
        chain.addAll(keyChecks(api));
        return List.copyOf(chain);
    }

    private RequestFilter tokenAuthFilter(ApiDefinition api) {
        return new TokenAuthFilter(api, keys, settings.minTokenLength(), policies);
    }

    private RequestFilter basicAuthFilter(ApiDefinition api) {
        return new BasicAuthFilter(api, keys, settings.minTokenLength(), settings.hashKeyFunction(), policies,
                passwords);
    }

    /** What follows authentication: stripping the credentials, the key's state, its rights on the API and path. */
    private List<RequestFilter> keyChecks(ApiDefinition api) {
        List<RequestFilter> chain = new ArrayList<>();
        RequestFilter strip = SessionFilters.stripAuth(api);
        if (strip != null) {
            chain.add(strip);
        }
        chain.add(new KeyStateFilter(EPOCH_SECONDS));
        chain.add(new ApiAccessFilter());
        chain.add(urls);
        return List.copyOf(chain);
    }

    /**
     * Applies the policies {@code session} names to it, in place, as authentication does for a request to an API
     * of {@code apiOrgId} (Tyk's {@code ApplyPolicies}); for the keys API, which shows keys with their policies.
     *
     * @return why the key cannot be used (a missing policy, another organisation's, no API left); empty when
     *     applied
     */
    public static Optional<String> applyPolicies(Session session, Map<String, Policy> policies, String apiOrgId) {
        try {
            new PolicyApplier(policies, apiOrgId).apply(session);
            return Optional.empty();
        } catch (PolicyApplier.Refused e) {
            return Optional.of(e.getMessage());
        }
    }

    /** Stops the bcrypt threads; password checks still waiting fail. */
    @Override
    public void close() {
        passwords.close();
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
