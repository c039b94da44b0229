package dev.gateway.plugins.internal;

import dev.gateway.core.config.ApiVersion;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.match.EndpointRules;
import dev.gateway.http.match.MatchInput;
import java.util.List;

/**
 * {@code global_headers_remove}, {@code global_headers}, then the first matching {@code transform_headers} entry's
 * {@code delete_headers} and {@code add_headers}, on the request before it goes upstream: Tyk's order, so an
 * endpoint's entry can undo or override the API's.
 */
final class HeaderTransformFilter implements RequestFilter {

    private final HeaderEdit global;
    private final EndpointRules<HeaderEdit> rules;

    private HeaderTransformFilter(HeaderEdit global, EndpointRules<HeaderEdit> rules) {
        this.global = global;
        this.rules = rules;
    }

    /** The filter for {@code version}'s request headers; {@code null} when it changes none. */
    static HeaderTransformFilter of(ApiVersion version, EndpointRules.Matching matching) {
        HeaderEdit global = version.globalHeadersDisabled() ? HeaderEdit.of(List.of(), java.util.Map.of())
                : HeaderEdit.of(version.globalHeadersRemove(), version.globalHeaders());
        EndpointRules<HeaderEdit> rules = EndpointRules.<HeaderEdit>builder(matching)
                .addAll(version.useExtendedPaths() ? version.extendedPaths().transformHeaders() : List.of(),
                        e -> HeaderEdit.of(e.deleteHeaders(), e.addHeaders()))
                .build();
        return global.isEmpty() && rules.isEmpty() ? null : new HeaderTransformFilter(global, rules);
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        global.apply(request.head().headers(), request);
        if (!rules.isEmpty()) {
            HeaderEdit own = rules.first(MatchInput.of(request), request.head().method().name());
            if (own != null) {
                own.apply(request.head().headers(), request);
            }
        }
        return FilterDecision.proceed();
    }
}
