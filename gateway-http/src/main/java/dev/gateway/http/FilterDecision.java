package dev.gateway.http;

import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.ReadOnlyHttpHeaders;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * What a {@link RequestFilter} decided: go on to the next filter and then the upstream; refuse the request with a
 * {@link ProxyFailure} (a JSON error, or a gRPC status for gRPC calls), with headers of its own if it likes; answer
 * the request itself; or decide later.
 */
public final class FilterDecision {

    private static final FilterDecision PROCEED = new FilterDecision(null, EmptyHttpHeaders.INSTANCE, null, null,
            null);

    /**
     * A filter's own answer in place of the upstream's.
     *
     * @param body sent as UTF-8; empty for none
     */
    public record Answer(HttpResponseStatus status, HttpHeaders headers, String body) {
        public Answer {
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(headers, "headers");
            Objects.requireNonNull(body, "body");
        }

        /** A JSON document, as the gateway's own endpoints answer. */
        public static Answer json(HttpResponseStatus status, String json) {
            return new Answer(status, JSON_HEADERS, json);
        }
    }

    private static final HttpHeaders JSON_HEADERS = new ReadOnlyHttpHeaders(false,
            HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);

    private final ProxyFailure refusal;
    private final HttpHeaders headers;
    private final Answer answer;
    private final CompletionStage<FilterDecision> later;
    /** The words of a refusal in place of its failure's own; {@code null} for those. */
    private final String message;

    private FilterDecision(ProxyFailure refusal, HttpHeaders headers, Answer answer,
            CompletionStage<FilterDecision> later, String message) {
        this.refusal = refusal;
        this.message = message;
        this.headers = headers;
        this.answer = answer;
        this.later = later;
    }

    /** The request goes on: one shared instance, so deciding costs no allocation. */
    public static FilterDecision proceed() {
        return PROCEED;
    }

    /** The request is answered with {@code failure} and goes no further. */
    public static FilterDecision refuse(ProxyFailure failure) {
        return refuse(failure, EmptyHttpHeaders.INSTANCE);
    }

    /**
     * The request is answered with {@code failure}, whose answer also carries {@code headers}: a
     * {@code Retry-After}, a {@code WWW-Authenticate}. A gRPC call gets them in its Trailers-Only answer. The
     * gateway keeps the framing headers ({@code Content-Length}, {@code Transfer-Encoding}, {@code Connection}
     * and the other hop-by-hop ones) to itself.
     */
    public static FilterDecision refuse(ProxyFailure failure, HttpHeaders headers) {
        return new FilterDecision(Objects.requireNonNull(failure, "failure"), Objects.requireNonNull(headers,
                "headers"), null, null, null);
    }

    /**
     * The request is answered with {@code failure}'s status (or gRPC status), in words of the filter's own that say
     * more than the failure's: Tyk's "Certificate with SHA256 ... not allowed". The access log still names the
     * failure.
     */
    public static FilterDecision refuse(ProxyFailure failure, String message) {
        return new FilterDecision(Objects.requireNonNull(failure, "failure"), EmptyHttpHeaders.INSTANCE, null, null,
                Objects.requireNonNull(message, "message"));
    }

    /**
     * The filter answers the request itself, in place of the upstream (Tyk's mock responses): {@code status},
     * {@code headers} (framing ones excepted, as for {@link #refuse(ProxyFailure, HttpHeaders)}) and {@code body}
     * in UTF-8. Every client gets it as written, gRPC callers included.
     */
    public static FilterDecision answer(HttpResponseStatus status, HttpHeaders headers, String body) {
        return new FilterDecision(null, EmptyHttpHeaders.INSTANCE, new Answer(status, headers, body), null, null);
    }

    /**
     * The decision comes later, on any thread; the request waits for it. A stage that fails refuses the request
     * with {@link ProxyFailure#FILTER_FAILED}.
     */
    public static FilterDecision later(CompletionStage<FilterDecision> decision) {
        return new FilterDecision(null, EmptyHttpHeaders.INSTANCE, null, Objects.requireNonNull(decision,
                "decision"), null);
    }

    /** Whether the request goes on. */
    public boolean proceeds() {
        return refusal == null && answer == null && later == null;
    }

    /** The refusal; {@code null} unless the request is refused. */
    public ProxyFailure refusal() {
        return refusal;
    }

    /** The words a refusal answers with: the filter's own, else its failure's; {@code null} unless refused. */
    public String message() {
        return message != null ? message : refusal == null ? null : refusal.message();
    }

    /** The headers a refusal adds to its answer; empty for none. */
    public HttpHeaders headers() {
        return headers;
    }

    /** The filter's own answer; {@code null} unless it answered. */
    public Answer answer() {
        return answer;
    }

    /** The decision to wait for; {@code null} unless the filter decides later. */
    public CompletionStage<FilterDecision> later() {
        return later;
    }
}
