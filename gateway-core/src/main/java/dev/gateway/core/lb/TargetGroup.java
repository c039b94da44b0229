package dev.gateway.core.lb;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An API's upstreams. {@link #next()} goes round robin over the targets that {@link HostHealth} reports up;
 * the counter is shared by every event loop, so the order holds across connections. Service discovery
 * {@linkplain #replaceTargets replaces} the list while it is in use: picks after that see the new list, and
 * connections to the old targets are left alone.
 */
public final class TargetGroup {

    private volatile List<Target> targets;
    private final HostHealth health;
    private final AtomicInteger cursor = new AtomicInteger();

    public TargetGroup(List<Target> targets, HostHealth health) {
        this.targets = checked(targets);
        this.health = health;
    }

    private static List<Target> checked(List<Target> targets) {
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("a target group needs at least one target");
        }
        return List.copyOf(targets);
    }

    /** Uses these targets from now on (service discovery); from any thread. */
    public void replaceTargets(List<Target> replacement) {
        targets = checked(replacement);
    }

    public List<Target> targets() {
        return targets;
    }

    /** The next healthy target in turn, or {@code null} when every target is down. */
    public Target next() {
        List<Target> targets = this.targets;
        int size = targets.size();
        if (size == 1) {
            Target only = targets.get(0);
            return health.isUp(only) ? only : null;
        }
        // Each probe takes its own turn, so a host that is down hands its share to every healthy host alike
        // instead of doubling the share of its neighbour.
        for (int i = 0; i < size; i++) {
            Target candidate = targets.get(Math.floorMod(cursor.getAndIncrement(), size));
            if (health.isUp(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
