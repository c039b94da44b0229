package dev.gateway.healthcheck;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.Objects;

/** What every check of one endpoint shares: its host key, and a run that is one {@link CheckSession}. */
abstract class EndpointCheck implements HostCheck {

    final Checks.Endpoint endpoint;

    EndpointCheck(Checks.Endpoint endpoint) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    }

    @Override
    public final String hostKey() {
        return endpoint.hostKey();
    }

    /** Where the check connects, and how. */
    public final Checks.Endpoint endpoint() {
        return endpoint;
    }

    @Override
    public final Future<CheckResult> run(EventLoop loop) {
        return Checks.run(loop, promise -> newSession(loop, promise));
    }

    /** One run's session on {@code loop}, completing {@code promise}. */
    abstract CheckSession newSession(EventLoop loop, Promise<CheckResult> promise);
}
