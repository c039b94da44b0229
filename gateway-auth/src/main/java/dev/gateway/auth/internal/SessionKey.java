package dev.gateway.auth.internal;

import dev.gateway.core.keys.Session;
import dev.gateway.http.FilteredRequest;

/** Where the authentication filter leaves the key's session for the checks after it. */
public final class SessionKey {

    /** The session of the key the request carried, once authenticated. */
    public static final FilteredRequest.Key<Session> SESSION = new FilteredRequest.Key<>("auth-session");

    private SessionKey() {
    }
}
