package dev.gateway.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;

/**
 * A request for a {@link LocalService}, read whole.
 *
 * @param path the decoded path, without its query
 * @param query the raw query, without its {@code ?}; empty when there is none
 * @param headers the request's headers (the service must not keep them past its answer)
 * @param body the whole body; empty when there is none
 * @param client the client's address, for log lines
 * @param connectionId the connection's short id, for log lines
 */
public record LocalRequest(HttpMethod method, String path, String query, HttpHeaders headers, byte[] body,
        String client, String connectionId) {

    /** The body as UTF-8 text. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
