package dev.gateway.core.snapshot;

import dev.gateway.core.config.LoadedApi;
import java.util.List;

/**
 * One port to bind and the APIs it serves.
 *
 * @param gatewayPort the gateway's own {@code listen_port}, which stays open even without APIs
 */
public record ListenerPlan(String address, int port, ListenerProtocol protocol, boolean gatewayPort,
        List<LoadedApi> apis) {

    public ListenerPlan {
        apis = List.copyOf(apis);
    }
}
