package dev.gateway.http;

import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * What a {@link RequestFilter} decided: go on to the next filter and then the upstream, refuse the request with a
 * {@link ProxyFailure} (a JSON error, or a gRPC status for gRPC calls), or decide later.
 */
public final class FilterDecision {

    private static final FilterDecision PROCEED = new FilterDecision(null, null);

    private final ProxyFailure refusal;
    private final CompletionStage<FilterDecision> later;

    private FilterDecision(ProxyFailure refusal, CompletionStage<FilterDecision> later) {
        this.refusal = refusal;
        this.later = later;
    }

    /** The request goes on: one shared instance, so deciding costs no allocation. */
    public static FilterDecision proceed() {
        return PROCEED;
    }

    /** The request is answered with {@code failure} and goes no further. */
    public static FilterDecision refuse(ProxyFailure failure) {
        return new FilterDecision(Objects.requireNonNull(failure, "failure"), null);
    }

    /**
     * The decision comes later, on any thread; the request waits for it. A stage that fails refuses the request
     * with {@link ProxyFailure#FILTER_FAILED}.
     */
    public static FilterDecision later(CompletionStage<FilterDecision> decision) {
        return new FilterDecision(null, Objects.requireNonNull(decision, "decision"));
    }

    /** Whether the request goes on. */
    public boolean proceeds() {
        return refusal == null && later == null;
    }

    /** The refusal; {@code null} unless the request is refused. */
    public ProxyFailure refusal() {
        return refusal;
    }

    /** The decision to wait for; {@code null} unless the filter decides later. */
    public CompletionStage<FilterDecision> later() {
        return later;
    }
}
