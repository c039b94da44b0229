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
}
