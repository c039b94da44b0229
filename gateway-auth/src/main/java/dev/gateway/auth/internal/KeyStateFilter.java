package dev.gateway.auth.internal;

import dev.gateway.core.keys.Session;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;
import java.util.function.LongSupplier;

/**
 * Tyk's {@code KeyExpired} check on the authenticated session: an inactive key gets 403 "Key is inactive, please
 * renew" (checked first, as in Tyk), an expired one 401 "Key has expired, please renew".
 */
public final class KeyStateFilter implements RequestFilter {

    private final LongSupplier nowSeconds;

    /** @param nowSeconds the clock, in Unix seconds */
    public KeyStateFilter(LongSupplier nowSeconds) {
        this.nowSeconds = nowSeconds;
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        Session session = request.get(SessionKey.SESSION);
        if (session == null) {
            return FilterDecision.proceed(); // no key was asked for: a keyless request
        }
        if (session.isInactive()) {
            return FilterDecision.refuse(ProxyFailure.KEY_INACTIVE);
        }
        if (session.isExpired(nowSeconds.getAsLong())) {
            return FilterDecision.refuse(ProxyFailure.KEY_EXPIRED);
        }
        return FilterDecision.proceed();
    }
}
