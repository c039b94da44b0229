package dev.gateway.http;

import java.util.function.Supplier;

/**
 * The liveness endpoint on the gateway's own port ({@code health_check_endpoint_name}, Tyk's {@code /hello}).
 *
 * @param path the exact path, with its leading slash
 * @param body the JSON document to answer with, built per request
 */
public record StatusEndpoint(String path, Supplier<String> body) {
}
