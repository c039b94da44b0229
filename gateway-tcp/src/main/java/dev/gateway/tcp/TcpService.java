package dev.gateway.tcp;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.lb.Target;
import dev.gateway.core.lb.TargetGroup;
import io.netty.handler.ssl.SslContext;
import java.util.Map;

/**
 * The API a TCP port serves, compiled at load: where its connections go.
 *
 * @param insecureSkipVerify {@code tls://} upstreams are not verified ({@code proxy_ssl_insecure_skip_verify} or
 *     the API's {@code transport.ssl_insecure_skip_verify})
 * @param clientCertificates for {@code tls://} targets with an {@code upstream_certificates} entry, the context
 *     that presents it; the others use the shared contexts
 */
public record TcpService(ApiDefinition api, TargetGroup targets, boolean insecureSkipVerify,
        Map<Target, SslContext> clientCertificates) {

    public TcpService {
        clientCertificates = Map.copyOf(clientCertificates);
    }

    public String apiId() {
        return api.apiId();
    }
}
