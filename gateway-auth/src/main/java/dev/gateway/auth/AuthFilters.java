package dev.gateway.auth;

import dev.gateway.auth.internal.ApiAccessFilter;
import dev.gateway.auth.internal.KeyStateFilter;
import dev.gateway.auth.internal.SessionKey;
import dev.gateway.auth.internal.TokenAuthFilter;
import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.keys.KeyStore;
import dev.gateway.core.keys.Session;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.RequestFilter;
import java.util.List;

/**
 * An API's authentication chain, in Tyk's order: the key (token auth), the key's state (inactive, expired), its
 * rights on the API. Basic auth, mutual TLS, allowed URLs, rate limits and quotas join it as they land.
 */
public final class AuthFilters {

    /** The session of the key a request carried, for filters after authentication. */
    public static final FilteredRequest.Key<Session> SESSION = SessionKey.SESSION;

    private final KeyStore store;
    private final boolean hashKeys;

    /** @param hashKeys Tyk's {@code hash_keys}: sessions are stored under the key's hash */
    public AuthFilters(KeyStore store, boolean hashKeys) {
        this.store = store;
        this.hashKeys = hashKeys;
    }

    /** The token-auth chain for {@code api}, whatever its {@code use_keyless} says. */
    public List<RequestFilter> tokenAuth(ApiDefinition api) {
        return List.of(new TokenAuthFilter(api, store, hashKeys),
                new KeyStateFilter(() -> System.currentTimeMillis() / 1000), new ApiAccessFilter());
    }
}
