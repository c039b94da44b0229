package dev.gateway.http;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Every way an exchange can fail, each with the status the client sees and the words of its JSON error body.
 * Logs and the access log name the constant.
 */
public enum ProxyFailure {
    BAD_REQUEST(HttpResponseStatus.BAD_REQUEST, "malformed request"),
    URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long"),
    HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large"),
    BODY_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body too large"),
    EXPECTATION_FAILED(HttpResponseStatus.EXPECTATION_FAILED, "unsupported expectation"),
    HTTP_VERSION_NOT_SUPPORTED(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP version not supported"),
    UNSUPPORTED_TRANSFER_CODING(HttpResponseStatus.NOT_IMPLEMENTED, "unsupported transfer coding"),
    CLIENT_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, "request not received in time"),
    TRACE_REFUSED(HttpResponseStatus.METHOD_NOT_ALLOWED, "TRACE is not allowed on this API"),
    NO_ROUTE(HttpResponseStatus.NOT_FOUND, "no API matches this request"),
    /** No key where the API looks for one. */
    AUTH_FIELD_MISSING(HttpResponseStatus.UNAUTHORIZED, "Authorization field missing"),
    /** An unknown key, or a key without rights to the API. */
    ACCESS_DENIED(HttpResponseStatus.FORBIDDEN, "Access to this API has been disallowed"),
    KEY_EXPIRED(HttpResponseStatus.UNAUTHORIZED, "Key has expired, please renew"),
    KEY_INACTIVE(HttpResponseStatus.FORBIDDEN, "Key is inactive, please renew"),
    /** {@code use_mutual_tls_auth} on a request that did not come over TLS (Tyk's words; refused at load here). */
    TLS_NOT_ENABLED(HttpResponseStatus.FORBIDDEN, "TLS not enabled"),
    /** {@code use_mutual_tls_auth}, and the client presented no certificate. */
    CLIENT_CERTIFICATE_MISSING(HttpResponseStatus.FORBIDDEN, "Client TLS certificate is required"),
    /** The client's certificate is listed, or issued by a listed CA, but out of its validity. */
    CLIENT_CERTIFICATE_EXPIRED(HttpResponseStatus.FORBIDDEN, "Certificate has expired"),
    /**
     * The client's certificate is neither listed in {@code client_certificates} nor issued by a CA listed there.
     * The filter's answer names its fingerprint, as Tyk's does: "Certificate with SHA256 <hex> not allowed".
     */
    CLIENT_CERTIFICATE_NOT_ALLOWED(HttpResponseStatus.FORBIDDEN, "Certificate not allowed"),
    /** The key's {@code allowed_urls} on the API do not name this path and method. */
    RESOURCE_DENIED(HttpResponseStatus.FORBIDDEN, "Access to this resource has been disallowed"),
    /** The key's rate limit on the API is spent. */
    RATE_LIMITED(HttpResponseStatus.TOO_MANY_REQUESTS, "Rate Limit Exceeded"),
    /** The key's quota for the period is spent. */
    QUOTA_EXCEEDED(HttpResponseStatus.FORBIDDEN, "Quota exceeded"),
    /** The API's own limit ({@code global_rate_limit}), shared by every client, is spent. */
    API_RATE_LIMITED(HttpResponseStatus.TOO_MANY_REQUESTS, "API Rate Limit Exceeded"),
    /** Basic auth: the credentials are not two words (scheme and data) split by one space. */
    BASIC_AUTH_MALFORMED(HttpResponseStatus.BAD_REQUEST,
            "Attempted access with malformed header, header not in basic auth format"),
    /** Basic auth: the credentials are not padded standard base64. */
    BASIC_AUTH_NOT_ENCODED(HttpResponseStatus.BAD_REQUEST,
            "Attempted access with malformed header, auth data not encoded correctly"),
    /** Basic auth: the decoded credentials are not exactly one {@code user:password} pair. */
    BASIC_AUTH_NOT_A_PAIR(HttpResponseStatus.BAD_REQUEST,
            "Attempted access with malformed header, values not in basic auth format"),
    /** Basic auth: no such user, or the wrong password. */
    USER_NOT_AUTHORISED(HttpResponseStatus.UNAUTHORIZED, "User not authorised"),
    /** Basic auth: more bcrypt checks are waiting than the gateway allows; the client may try again. */
    PASSWORD_CHECKS_BUSY(HttpResponseStatus.SERVICE_UNAVAILABLE, "too many password checks waiting"),
    /** The key store did not answer: requests that need it fail closed. */
    KEY_STORE_UNAVAILABLE(HttpResponseStatus.SERVICE_UNAVAILABLE, "key store unavailable"),
    /** An {@code ip_whitelist} without the client, or an {@code ip_blacklist} with it. */
    CLIENT_IP_REFUSED(HttpResponseStatus.FORBIDDEN, "access from this IP has been disallowed"),
    /** A {@code black_list} entry, or a path outside the {@code white_list}. */
    ENDPOINT_FORBIDDEN(HttpResponseStatus.FORBIDDEN, "Requested endpoint is forbidden"),
    /** A {@code size_limits} entry or {@code global_size_limit}, by {@code Content-Length} or counted as it streams. */
    REQUEST_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "Request is too large"),
    FILTER_FAILED(HttpResponseStatus.INTERNAL_SERVER_ERROR, "the request could not be checked"),
    UPGRADE_DISABLED(HttpResponseStatus.NOT_IMPLEMENTED,
            "WebSocket upgrades are turned off on this gateway (http_server_options.enable_websockets)"),
    ALL_HOSTS_DOWN(HttpResponseStatus.SERVICE_UNAVAILABLE, "all hosts are down"),
    /** A {@code circuit_breakers} entry is open. */
    CIRCUIT_OPEN(HttpResponseStatus.SERVICE_UNAVAILABLE, "Service temporarily unavailable."),
    UPSTREAM_REFUSED(HttpResponseStatus.BAD_GATEWAY, "upstream refused the connection"),
    UPSTREAM_TLS(HttpResponseStatus.BAD_GATEWAY, "upstream TLS handshake failed"),
    UPSTREAM_RESET(HttpResponseStatus.BAD_GATEWAY, "upstream closed the connection"),
    UPSTREAM_PROTOCOL(HttpResponseStatus.BAD_GATEWAY, "upstream sent an invalid response"),
    UPSTREAM_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream did not answer in time"),
    /** A {@code hard_timeouts} entry ran out before the upstream's response head came. */
    HARD_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "Upstream service reached hard timeout."),
    STREAM_IDLE(HttpResponseStatus.GATEWAY_TIMEOUT, "event stream silent for stream_idle_timeout");

    private final HttpResponseStatus status;
    private final String message;

    ProxyFailure(HttpResponseStatus status, String message) {
        this.status = status;
        this.message = message;
    }

    public HttpResponseStatus status() {
        return status;
    }

    public String message() {
        return message;
    }
}
