package dev.gateway.plugins.internal;

import dev.gateway.core.config.ApiVersion;
import dev.gateway.core.config.GoDuration;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.FilteredRequest;
import dev.gateway.http.RequestFilter;
import dev.gateway.http.match.EndpointRules;
import dev.gateway.http.match.MatchInput;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code hard_timeouts} and {@code global_enforce_timeout}: how long the upstream may take to send its response
 * head (a WebSocket's {@code 101} included), in place of {@code proxy_default_timeout}, for the first entry that
 * matches; past it the client gets 504 "Upstream service reached hard timeout." (gRPC: {@code DEADLINE_EXCEEDED}).
 * Unlike Tyk since 5.3, a response that has begun is never cut: a stream, a download or an event stream may run
 * as long as it moves, which {@code proxy_default_timeout} and the stream idle timeout still bound.
 */
final class HardTimeoutFilter implements RequestFilter {

    private final long globalNanos;
    private final EndpointRules<Long> rules;

    private HardTimeoutFilter(long globalNanos, EndpointRules<Long> rules) {
        this.globalNanos = globalNanos;
        this.rules = rules;
    }

    /** The filter for {@code version}'s timeouts; {@code null} when it has none. */
    static HardTimeoutFilter of(ApiVersion version, EndpointRules.Matching matching) {
        long global = version.globalEnforceTimeout().isEmpty() || version.globalEnforceTimeoutDisabled() ? 0
                : GoDuration.parse(version.globalEnforceTimeout(), "duration").toNanos();
        EndpointRules<Long> rules = EndpointRules.<Long>builder(matching)
                .addAll(version.useExtendedPaths() ? version.extendedPaths().hardTimeouts() : List.of(),
                        HardTimeoutFilter::nanos)
                .build();
        return global == 0 && rules.isEmpty() ? null : new HardTimeoutFilter(global, rules);
    }

    private static long nanos(ApiVersion.HardTimeout entry) {
        return entry.duration().isEmpty() ? TimeUnit.SECONDS.toNanos(entry.timeout())
                : GoDuration.parse(entry.duration(), "duration").toNanos();
    }

    @Override
    public FilterDecision filter(FilteredRequest request) {
        Long own = rules.isEmpty() ? null : rules.first(MatchInput.of(request), request.head().method().name());
        long nanos = own != null ? own : globalNanos;
        if (nanos > 0) {
            request.limitResponseWait(nanos);
        }
        return FilterDecision.proceed();
    }
}
