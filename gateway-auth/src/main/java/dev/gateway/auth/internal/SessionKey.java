package dev.gateway.auth.internal;

import dev.gateway.core.keys.Session;
import dev.gateway.http.FilteredRequest;

/** Where the authentication filter leaves the key's session for the checks after it. */
public final class SessionKey {

    /** The session of the key the request carried, once authenticated. */
    public static final FilteredRequest.Key<Session> SESSION = new FilteredRequest.Key<>("auth-session");

    /** The key the session was found by (Tyk's {@code KeyID}): what its limits are counted under. */
    public static final FilteredRequest.Key<String> KEY = new FilteredRequest.Key<>("auth-key");

    /** What the limits said, for the {@code X-RateLimit-*} headers of the response. */
    public static final FilteredRequest.Key<RateHeaders> RATE_HEADERS = new FilteredRequest.Key<>("rate-headers");

    private SessionKey() {
    }
}
