package dev.gateway.auth;

import dev.gateway.auth.internal.ApiAccessFilter;
import dev.gateway.auth.internal.KeyStateFilter;
import dev.gateway.auth.internal.PolicyApplier;
import dev.gateway.auth.internal.SessionKey;
import dev.gateway.auth.internal.TokenAuthFilter;
import dev.gateway.auth.internal.UrlAccessFilter;
import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.Policy;
import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.Session;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.RequestFilter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * An API's authentication chain, in Tyk's order: the key (token auth), with the policies it names applied, then the
 * key's state (inactive, expired), its rights on the API and on the path ({@code allowed_urls}). Mutual TLS, rate
 * limits and quotas join it as they land.
 */
public final class AuthFilters {

    /** The session of the key a request carried, for filters after authentication. */
    public static final FilteredRequest.Key<Session> SESSION = SessionKey.SESSION;

    private final KeyStore store;
    private final boolean hashKeys;
    private final Supplier<Map<String, Policy>> policies;
    /** Shared by every API, so a session's URL list is compiled once. */
    private final UrlAccessFilter urls;

    /**
     * Filters without policies: keys that name one are refused.
     *
     * @param hashKeys Tyk's {@code hash_keys}: sessions are stored under the key's hash
     * @param ignoreEndpointCase Tyk's {@code ignore_endpoint_case}: allowed URLs match whatever the path's case
     */
    public AuthFilters(KeyStore store, boolean hashKeys, boolean ignoreEndpointCase) {
        this(store, hashKeys, ignoreEndpointCase, Map::of);
    }

    /**
     * @param hashKeys Tyk's {@code hash_keys}: sessions are stored under the key's hash
     * @param ignoreEndpointCase Tyk's {@code ignore_endpoint_case}: allowed URLs match whatever the path's case
     * @param policies the policies by id ({@code PolicyLoader}), asked on every request, so that a reload swaps
     *     them by handing out a new map
     */
    public AuthFilters(KeyStore store, boolean hashKeys, boolean ignoreEndpointCase,
            Supplier<Map<String, Policy>> policies) {
        this.store = store;
        this.hashKeys = hashKeys;
        this.policies = policies;
        this.urls = new UrlAccessFilter(ignoreEndpointCase);
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
}
