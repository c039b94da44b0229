package dev.gateway.plugins.internal;

import dev.gateway.core.config.ApiVersion;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ResponseFilter;
import dev.gateway.http.match.EndpointRules;
import dev.gateway.http.match.MatchInput;
import io.netty.handler.codec.http.HttpResponse;
import java.util.List;

/**
 * The first matching {@code transform_response_headers} entry, then {@code global_response_headers_remove} and
 * {@code global_response_headers}, on the upstream's response head: Tyk's order, in which the API's headers have the
 * last word. Entries match the path and method the client sent, before any rewrite. Trailers are never touched, so
 * a gRPC call's status always reaches its client.
 */
final class ResponseHeaderFilter implements ResponseFilter {

    private final EndpointRules<HeaderEdit> rules;
    private final HeaderEdit global;

    private ResponseHeaderFilter(EndpointRules<HeaderEdit> rules, HeaderEdit global) {
        this.rules = rules;
        this.global = global;
    }

    /** The filter for {@code version}'s response headers; {@code null} when it changes none. */
    static ResponseHeaderFilter of(ApiVersion version, EndpointRules.Matching matching) {
        HeaderEdit global = version.globalResponseHeadersDisabled() ? HeaderEdit.of(List.of(), java.util.Map.of())
                : HeaderEdit.of(version.globalResponseHeadersRemove(), version.globalResponseHeaders());
        EndpointRules<HeaderEdit> rules = EndpointRules.<HeaderEdit>builder(matching)
                .addAll(version.useExtendedPaths() ? version.extendedPaths().transformResponseHeaders() : List.of(),
                        e -> HeaderEdit.of(e.deleteHeaders(), e.addHeaders()))
                .build();
        return global.isEmpty() && rules.isEmpty() ? null : new ResponseHeaderFilter(rules, global);
    }

    @Override
    public void onHead(FilteredRequest request, HttpResponse head) {
        if (!rules.isEmpty()) {
            HeaderEdit own = rules.first(MatchInput.of(request), request.head().method().name());
            if (own != null) {
                own.apply(head.headers(), request);
            }
        }
        global.apply(head.headers(), request);
    }
}
