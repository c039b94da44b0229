package dev.gateway.auth.internal;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.http.FilteredRequest;
import java.util.List;

/**
 * Where an API's requests carry their key, as Tyk reads it: the header ({@code auth_header_name}, default
 * {@code Authorization}, unless {@code disable_header}), then the query parameter ({@code use_param},
 * {@code param_name}) and the cookie ({@code use_cookie}, {@code cookie_name}), each named like the header unless
 * set, a later source that is present winning: cookie over parameter over header (Tyk's {@code getAuthToken}).
 * For token auth one {@code Bearer } prefix, in any case, is stripped ({@link #key}); basic auth reads the value as
 * it is ({@link #raw}).
 */
final class TokenSource {

    private static final String DEFAULT_HEADER = "Authorization";
    private static final String BEARER = "bearer ";

    private final String header;
    private final String param;
    private final String cookie;

    private TokenSource(String header, String param, String cookie) {
        this.header = header;
        this.param = param;
        this.cookie = cookie;
    }

    static TokenSource of(ApiDefinition.AuthConfig config) {
        String header = blank(config.authHeaderName()) ? DEFAULT_HEADER : config.authHeaderName();
        return new TokenSource(config.disableHeader() ? null : header,
                config.useParam() ? (blank(config.paramName()) ? header : config.paramName()) : null,
                config.useCookie() ? (blank(config.cookieName()) ? header : config.cookieName()) : null);
    }

    private static boolean blank(String s) {
        return s == null || s.isEmpty();
    }

    /** The header the key is read from; {@code null} when {@code disable_header}. */
    String header() {
        return header;
    }

    /** The query parameter the key is read from; {@code null} unless {@code use_param}. */
    String param() {
        return param;
    }

    /** The cookie the key is read from; {@code null} unless {@code use_cookie}. */
    String cookie() {
        return cookie;
    }

    /** The key the request carries, without a {@code Bearer } prefix; empty when it carries none. */
    String key(FilteredRequest request) {
        String key = raw(request);
        return key.length() >= BEARER.length() && key.regionMatches(true, 0, BEARER, 0, BEARER.length())
                ? key.substring(BEARER.length()) : key;
    }

    /** The credentials the request carries, as they came; empty when it carries none. */
    String raw(FilteredRequest request) {
        String key = "";
        if (header != null) {
            String value = request.head().headers().get(header);
            key = value == null ? "" : value;
        }
        if (param != null) {
            List<String> values = request.queryParameter(param);
            if (!values.isEmpty() && !values.get(0).isEmpty()) {
                key = values.get(0);
            }
        }
        if (cookie != null) {
            String value = request.cookie(cookie);
            if (!value.isEmpty()) {
                key = value;
            }
        }
        return key;
    }
}
