package dev.gateway.plugins.internal;

import dev.gateway.core.config.ApiVersion;
import dev.gateway.core.net.ClientErrorLog;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.ProxyFailure;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.match.EndpointRules;
import dev.gateway.http.match.MatchInput;
import io.netty.handler.codec.http.HttpUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code global_size_limit} and {@code size_limits}: a body over the smaller limit that applies gets 413 (gRPC:
 * {@code RESOURCE_EXHAUSTED}). A {@code Content-Length} over it is refused at once; a body without one (chunked,
 * HTTP/2, gRPC streams) is counted as it streams, never gathered to be measured, and the exchange fails the moment
 * it grows past. Tyk refuses such a body with 411, skips GET, HEAD, DELETE, OPTIONS and TRACE, and answers 400;
 * a limit here holds for every request.
 */
final class SizeLimitFilter implements RequestFilter {

    private static final Logger log = LoggerFactory.getLogger(SizeLimitFilter.class);

    private final long global;
    private final EndpointRules<Long> rules;

    private SizeLimitFilter(long global, EndpointRules<Long> rules) {
        this.global = global;
        this.rules = rules;
    }

    /** The filter for {@code version}'s limits; {@code null} when it has none. */
    static SizeLimitFilter of(ApiVersion version, EndpointRules.Matching matching) {
        long global = version.globalSizeLimitDisabled() ? 0 : version.globalSizeLimit();
        EndpointRules<Long> rules = EndpointRules.<Long>builder(matching)
                .addAll(version.useExtendedPaths() ? version.extendedPaths().sizeLimits() : java.util.List.of(),
                        ApiVersion.SizeLimit::sizeLimit)
                .build();
        return global == 0 && rules.isEmpty() ? null : new SizeLimitFilter(global, rules);
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        long limit = global;
        if (!rules.isEmpty()) {
            Long own = rules.first(MatchInput.of(request), request.head().method().name());
            if (own != null) {
                limit = limit == 0 ? own : Math.min(limit, own);
            }
        }
        if (limit == 0) {
            return FilterDecision.proceed();
        }
        long declared = HttpUtil.getContentLength(request.head(), -1L);
        if (declared > limit) {
            ClientErrorLog.info(log, request.route().api().listenPort(),
                    "api={} client={} conn={} {} {} refused: Content-Length {} is over the size limit of {} bytes",
                    request.route().apiId(), request.client(), request.connectionId(), request.head().method(),
                    request.path(), declared, limit);
            return FilterDecision.refuse(ProxyFailure.REQUEST_TOO_LARGE);
        }
        request.limitBody(limit);
        return FilterDecision.proceed();
    }
}
