package dev.gateway.grpc;

import dev.gateway.http.ProxyFailure;

/** The gRPC status codes the gateway answers with, and which one each of its failures is. */
enum GrpcStatus {
    DEADLINE_EXCEEDED(4),
    PERMISSION_DENIED(7),
    RESOURCE_EXHAUSTED(8),
    UNIMPLEMENTED(12),
    INTERNAL(13),
    UNAVAILABLE(14),
    UNAUTHENTICATED(16);

    private final int code;

    GrpcStatus(int code) {
        this.code = code;
    }

    int code() {
        return code;
    }

    /** The status a gRPC client gets for a failure the gateway answers itself. */
    static GrpcStatus of(ProxyFailure failure) {
        return switch (failure) {
            case NO_ROUTE, UPGRADE_DISABLED, TRACE_REFUSED -> UNIMPLEMENTED;
            case ALL_HOSTS_DOWN, CIRCUIT_OPEN, KEY_STORE_UNAVAILABLE, PASSWORD_CHECKS_BUSY, UPSTREAM_REFUSED,
                    UPSTREAM_TLS, UPSTREAM_RESET, UPSTREAM_PROTOCOL -> UNAVAILABLE;
            case UPSTREAM_TIMEOUT, HARD_TIMEOUT, STREAM_IDLE, CLIENT_TIMEOUT -> DEADLINE_EXCEEDED;
            case BODY_TOO_LARGE, REQUEST_TOO_LARGE, HEADERS_TOO_LARGE, URI_TOO_LONG, RATE_LIMITED, QUOTA_EXCEEDED,
                    API_RATE_LIMITED -> RESOURCE_EXHAUSTED;
            case BAD_REQUEST, HTTP_VERSION_NOT_SUPPORTED, UNSUPPORTED_TRANSFER_CODING, EXPECTATION_FAILED, FILTER_FAILED ->
                    INTERNAL;
            case ACCESS_DENIED, CLIENT_IP_REFUSED, ENDPOINT_FORBIDDEN, KEY_INACTIVE, RESOURCE_DENIED,
                    CLIENT_CERTIFICATE_NOT_ALLOWED -> PERMISSION_DENIED;
            // Missing or unusable credentials: the caller may retry with others. Malformed basic credentials are
            // credentials that do not authenticate, where the HTTP 400 alone would make a gRPC client say INTERNAL.
            case AUTH_FIELD_MISSING, KEY_EXPIRED, TLS_NOT_ENABLED, CLIENT_CERTIFICATE_MISSING,
                    CLIENT_CERTIFICATE_EXPIRED, USER_NOT_AUTHORISED, BASIC_AUTH_MALFORMED, BASIC_AUTH_NOT_ENCODED,
                    BASIC_AUTH_NOT_A_PAIR -> UNAUTHENTICATED;
        };
    }
}
