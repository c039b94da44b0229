package dev.gateway.core.relay;

import dev.gateway.core.transport.Transport;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * {@link RelayTest}'s cases on native epoll, the one transport that splices: the gateway serves on io_uring where
 * the kernel allows it and on epoll where it does not (a container that forbids io_uring), so both must relay.
 */
@EnabledIf("dev.gateway.core.relay.RelayOverEpollTest#epollLoads")
class RelayOverEpollTest extends RelayTest {

    @Override
    Transport transport() {
        return Transport.select("epoll");
    }

    static boolean epollLoads() {
        try {
            Transport.select("epoll");
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }
}
