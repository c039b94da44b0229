package dev.gateway.core.lb;

/**
 * Whether a target is up. Health checks write it; {@link TargetGroup} reads it on every pick, so reads must be
 * cheap and safe from any thread.
 */
@FunctionalInterface
public interface HostHealth {

    /** Every host is up: what the gateway assumes when nothing checks. */
    HostHealth ALWAYS_UP = target -> true;

    boolean isUp(Target target);

    /** Each API's host health, by API id: what a configuration's target groups are built with. */
    @FunctionalInterface
    interface ByApi {

        /** Every host of every API is up. */
        ByApi ALWAYS_UP = apiId -> HostHealth.ALWAYS_UP;

        HostHealth forApi(String apiId);
    }
}
