package dev.gateway.auth.internal;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.RequestFilter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;

/**
 * Tyk's {@code strip_auth_data}: the credentials the API reads are not proxied. For every auth config of the API
 * (or the legacy {@code auth}), the header goes, the query parameter when {@code use_param} (the rest of the query
 * kept as sent, where Tyk re-encodes and sorts it), and the cookie: unlike Tyk, which drops the first cookie whose
 * name merely starts with the configured one, only a cookie of exactly that name goes.
 */
final class StripAuthFilter implements RequestFilter {

    private final List<TokenSource> sources;

    private StripAuthFilter(List<TokenSource> sources) {
        this.sources = sources;
    }

    /** The API's stripping, or {@code null} when {@code strip_auth_data} is off. */
    static StripAuthFilter of(ApiDefinition api) {
        if (!api.stripAuthData()) {
            return null;
        }
        List<TokenSource> sources = new ArrayList<>();
        api.authConfigs().values().forEach(config -> sources.add(TokenSource.of(config)));
        if (sources.isEmpty()) {
            sources.add(TokenSource.of(api.tokenAuth()));
        }
        return new StripAuthFilter(List.copyOf(sources));
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        HttpHeaders headers = request.head().headers();
        for (TokenSource source : sources) {
            if (source.header() != null) {
                headers.remove(source.header());
            }
            if (source.param() != null) {
                String query = request.upstreamPath() != null ? request.upstreamQuery() : request.query();
                String path = request.upstreamPath() != null ? request.upstreamPath() : request.path();
                String stripped = withoutParameter(query, source.param());
                if (stripped == null ? query != null : !stripped.equals(query)) {
                    request.rewrite(path, stripped);
                }
            }
            if (source.cookie() != null) {
                List<String> cookies = headers.getAll(HttpHeaderNames.COOKIE);
                if (!cookies.isEmpty()) {
                    String kept = withoutCookie(String.join("; ", cookies), source.cookie());
                    headers.remove(HttpHeaderNames.COOKIE);
                    if (!kept.isEmpty()) {
                        headers.set(HttpHeaderNames.COOKIE, kept);
                    }
                }
            }
        }
        return FilterDecision.proceed();
    }

    /** {@code query} without every {@code name=...} pair; {@code null} when nothing is left. */
    static String withoutParameter(String query, String name) {
        if (query == null) {
            return null;
        }
        StringBuilder kept = new StringBuilder();
        for (String pair : query.split("&", -1)) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            if (!java.net.URLDecoder.decode(key, java.nio.charset.StandardCharsets.UTF_8).equals(name)) {
                if (kept.length() > 0) {
                    kept.append('&');
                }
                kept.append(pair);
            }
        }
        return kept.length() == 0 ? null : kept.toString();
    }

    /** A {@code Cookie} header's value without the cookie named {@code name}. */
    static String withoutCookie(String cookieHeader, String name) {
        StringBuilder kept = new StringBuilder();
        for (String part : cookieHeader.split(";")) {
            String trimmed = part.trim();
            int eq = trimmed.indexOf('=');
            String cookieName = eq < 0 ? trimmed : trimmed.substring(0, eq);
            if (!trimmed.isEmpty() && !cookieName.equals(name)) {
                if (kept.length() > 0) {
                    kept.append("; ");
                }
                kept.append(trimmed);
            }
        }
        return kept.toString();
    }
}
