package dev.gateway.tcp;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.lb.Target;
import dev.gateway.core.lb.TargetGroup;
import dev.gateway.core.net.IpRanges;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * The API a TCP port serves, compiled at load: who may connect, and where its connections go.
 *
 * @param insecureSkipVerify {@code tls://} upstreams are not verified ({@code proxy_ssl_insecure_skip_verify} or
 *     the API's {@code transport.ssl_insecure_skip_verify})
 * @param clientCertificates for {@code tls://} targets with an {@code upstream_certificates} entry, the context
 *     that presents it; the others use the shared contexts
 * @param allowedIps the allow list in force ({@link ApiDefinition#ipAllowList()}), parsed; empty for none
 * @param blockedIps the block list in force ({@link ApiDefinition#ipBlockList()}), parsed; empty for none
 */
public record TcpService(ApiDefinition api, TargetGroup targets, boolean insecureSkipVerify,
        Map<Target, SslContext> clientCertificates, IpRanges allowedIps, IpRanges blockedIps) {

    /** The field that names the allow list, as a refusal's log line gives it. */
    static final String ALLOW_LIST = "allowed_ips";

    /** The field that names the block list, as a refusal's log line gives it. */
    static final String BLOCK_LIST = "blacklisted_ips";

    public TcpService {
        clientCertificates = Map.copyOf(clientCertificates);
    }

    /**
     * A service with the API's IP lists parsed here, once, rather than per connection. Load has checked the lists
     * already, so this cannot fail for an API that loaded.
     *
     * @throws IllegalArgumentException when a list in force has an entry that is not an IP address or CIDR range
     */
    public TcpService(ApiDefinition api, TargetGroup targets, boolean insecureSkipVerify,
            Map<Target, SslContext> clientCertificates) {
        this(api, targets, insecureSkipVerify, clientCertificates, IpRanges.parse(api.ipAllowList()),
                IpRanges.parse(api.ipBlockList()));
    }

    public String apiId() {
        return api.apiId();
    }

    /**
     * The list that refuses {@code client}: {@link #ALLOW_LIST} when there is one and the client is not in it,
     * else {@link #BLOCK_LIST} when the client is in that; {@code null} when the client may connect. A client with
     * no IP address (not on a TCP socket) is in no list, so an allow list refuses it.
     */
    String ipListRefusing(InetSocketAddress client) {
        if (!allowedIps.isEmpty() && !allowedIps.contains(client)) {
            return ALLOW_LIST;
        }
        if (!blockedIps.isEmpty() && blockedIps.contains(client)) {
            return BLOCK_LIST;
        }
        return null;
    }
}
