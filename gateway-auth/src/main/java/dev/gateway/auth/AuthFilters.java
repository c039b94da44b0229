package dev.gateway.auth;

import dev.gateway.auth.internal.ApiAccessFilter;
import dev.gateway.auth.internal.BasicAuthFilter;
import dev.gateway.auth.internal.KeyStateFilter;
import dev.gateway.auth.internal.PasswordChecks;
import dev.gateway.auth.internal.PolicyApplier;
import dev.gateway.auth.internal.SessionKey;
import dev.gateway.auth.internal.TokenAuthFilter;
import dev.gateway.auth.internal.UrlAccessFilter;
import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.AuthSettings;
import dev.gateway.core.config.Policy;
import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.Session;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.RequestFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * An API's authentication chain, in Tyk's order: the key (basic auth, then token auth), with the policies it names
 * applied, then the key's state (inactive, expired), its rights on the API and on the path ({@code allowed_urls}).
 * Mutual TLS, rate limits and quotas join it as they land. Closing it stops the bcrypt threads of basic auth.
 */
public final class AuthFilters implements AutoCloseable {

    /** The session of the key a request carried, for filters after authentication. */
    public static final FilteredRequest.Key<Session> SESSION = SessionKey.SESSION;

    private final KeyStore store;
    private final boolean hashKeys;
    private final String hashKeyFunction;
    private final Supplier<Map<String, Policy>> policies;
    private final PasswordChecks passwords = new PasswordChecks();
    /** Shared by every API, so a session's URL list is compiled once. */
    private final UrlAccessFilter urls;

    /**
     * Filters without policies, for keys in Tyk's legacy format: keys that name a policy are refused.
     *
     * @param hashKeys Tyk's {@code hash_keys}: sessions are stored under the key's hash
     * @param ignoreEndpointCase Tyk's {@code ignore_endpoint_case}: allowed URLs match whatever the path's case
     */
    public AuthFilters(KeyStore store, boolean hashKeys, boolean ignoreEndpointCase) {
        this(store, hashKeys, "", ignoreEndpointCase, Map::of);
    }

    /**
     * @param settings {@code tyk.conf}'s {@code hash_keys} and {@code hash_key_function} are read
     * @param ignoreEndpointCase Tyk's {@code ignore_endpoint_case}: allowed URLs match whatever the path's case
     * @param policies the policies by id ({@code PolicyLoader}), asked on every request, so that a reload swaps
     *     them by handing out a new map
     */
    public AuthFilters(KeyStore store, AuthSettings settings, boolean ignoreEndpointCase,
            Supplier<Map<String, Policy>> policies) {
        this(store, settings.hashKeys(), settings.hashKeyFunction(), ignoreEndpointCase, policies);
    }

    private AuthFilters(KeyStore store, boolean hashKeys, String hashKeyFunction, boolean ignoreEndpointCase,
            Supplier<Map<String, Policy>> policies) {
        this.store = store;
        this.hashKeys = hashKeys;
        this.hashKeyFunction = hashKeyFunction;
        this.policies = policies;
        this.urls = new UrlAccessFilter(ignoreEndpointCase);
    }

    /**
     * The chain {@code api} asks for, as Tyk's {@code api_loader.go} builds it: none for a keyless API; basic auth
     * with {@code use_basic_auth}; token auth with {@code use_standard_auth} or when no other auth is on; then the
     * key checks.
     */
    public List<RequestFilter> forApi(ApiDefinition api) {
        if (api.useKeyless()) {
            return List.of();
        }
        List<RequestFilter> chain = new ArrayList<>();
        if (api.useBasicAuth()) {
            chain.add(basicAuthFilter(api));
        }
        if (api.useStandardAuth() || !api.useBasicAuth()) {
            chain.add(new TokenAuthFilter(api, store, hashKeys, policies));
        }
        chain.add(checks());
        chain.add(new ApiAccessFilter());
        chain.add(urls);
        return List.copyOf(chain);
    }

    /** The basic-auth chain for {@code api}, whatever its {@code use_keyless} and {@code use_basic_auth} say. */
    public List<RequestFilter> basicAuth(ApiDefinition api) {
        return List.of(basicAuthFilter(api), checks(), new ApiAccessFilter(), urls);
    }

    private RequestFilter basicAuthFilter(ApiDefinition api) {
        return new BasicAuthFilter(api, store, hashKeys, hashKeyFunction, policies, passwords);
    }

    /** The token-auth chain for {@code api}, whatever its {@code use_keyless} says. */
    public List<RequestFilter> tokenAuth(ApiDefinition api) {
        return List.of(new TokenAuthFilter(api, store, hashKeys, policies), checks(), new ApiAccessFilter(), urls);
    }

    private static RequestFilter checks() {
        return new KeyStateFilter(() -> System.currentTimeMillis() / 1000);
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
}
