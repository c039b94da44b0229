package dev.gateway.auth.internal;

import dev.gateway.core.keys.Session;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;

/**
 * Tyk's access-rights check, at the level of the API: a key whose {@code access_rights} name APIs, but not this one,
 * gets 403 "Access to this API has been disallowed". A key with no access rights at all may use every API, as in
 * Tyk. ({@code allowed_urls} within an API come next.)
 */
public final class ApiAccessFilter implements RequestFilter {

    @Override
    public FilterDecision filter(FilteredRequest request) {
        Session session = request.get(SessionKey.SESSION);
        if (session == null || !session.hasAccessRights()
                || session.accessRight(request.route().apiId()) != null) {
            return FilterDecision.proceed();
        }
        return FilterDecision.refuse(ProxyFailure.ACCESS_DENIED);
    }
}
