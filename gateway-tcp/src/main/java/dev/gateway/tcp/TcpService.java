package dev.gateway.tcp;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.lb.TargetGroup;

/**
 * The API a TCP port serves, compiled at load: where its connections go.
 *
 * @param insecureSkipVerify {@code tls://} upstreams are not verified ({@code proxy_ssl_insecure_skip_verify} or
 *     the API's {@code transport.ssl_insecure_skip_verify})
 */
public record TcpService(ApiDefinition api, TargetGroup targets, boolean insecureSkipVerify) {

    public String apiId() {
        return api.apiId();
    }
}
