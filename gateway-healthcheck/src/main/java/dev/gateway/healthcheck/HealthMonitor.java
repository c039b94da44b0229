package dev.gateway.healthcheck;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ApiDefinition.UptimeCheck;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.lb.HostHealth;
import dev.gateway.core.lb.Target;
import dev.gateway.core.tls.TlsContexts;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every API's {@code uptime_tests} and keeps the state of each checked host, which target groups read as
 * the API's {@link HostHealth}.
 *
 * <ul>
 *   <li><b>Schedule.</b> Each check runs on an event loop every {@code time_wait} seconds, give or take a tenth
 *       (jitter), the first time within a second of being applied and the second at a random point of the
 *       following round, so checks loaded together do not stay together. A check never blocks and ends by its own
 *       deadline, so a hung backend delays no other check.
 *   <li><b>State.</b> A host starts up. Its first result decides at once, so a replica is out before the first
 *       client arrives rather than after several rounds; after that it goes down after
 *       {@code failure_trigger_sample_size} consecutive failures and comes back after one success. Each change
 *       is logged once, with the API, the host and the reason.
 *   <li><b>Gating.</b> Only an API with {@code proxy.check_host_against_uptime_tests} is gated: round robin skips
 *       its hosts that are down. A target that no check covers is up. Hosts match by {@code host:port}.
 *   <li><b>Down hosts.</b> A host that is down is checked every {@code uptime_tests.config.recheck_wait}
 *       seconds of its API when that is set, so it can come back sooner (or later) than the others are checked.
 *   <li><b>Reloads.</b> {@link #apply} keeps a check that is unchanged (with its state and schedule), starts new
 *       ones and stops those whose API or entry is gone; {@link #update} does the same for the APIs a targeted
 *       reload names, and leaves the others alone.
 * </ul>
 */
public final class HealthMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);

    /** How the gateway runs checks ({@code uptime_tests} in {@code tyk.conf}). */
    public record Settings(boolean disabled, int failureTriggerSampleSize, Duration timeWait) {

        /** {@code uptime_tests} of {@code tyk.conf}, with Tyk's defaults: 3 failures, 10 seconds apart. */
        public static Settings of(GatewayConfig.UptimeTestsGlobal uptimeTests) {
            GatewayConfig.UptimeTestsGlobalConfig checks = uptimeTests.config();
            int sampleSize = checks.failureTriggerSampleSize() == null || checks.failureTriggerSampleSize() < 1 ? 3
                    : checks.failureTriggerSampleSize();
            int timeWait = checks.timeWait() == null || checks.timeWait() < 1 ? 10 : checks.timeWait();
            return new Settings(uptimeTests.disable(), sampleSize, Duration.ofSeconds(timeWait));
        }

        public Settings {
            if (failureTriggerSampleSize < 1) {
                throw new IllegalArgumentException("failure_trigger_sample_size must be at least 1");
            }
            if (timeWait.isNegative() || timeWait.isZero()) {
                throw new IllegalArgumentException("time_wait must be positive");
            }
        }
    }

    private final EventLoopGroup loops;
    private final Settings settings;
    private final TlsContexts tls;
    private final Class<? extends Channel> channelClass;
    private final AddressResolverGroup<?> resolver;
    /** The running checks of each API that has any, by API id. Replaced, never changed, under this monitor's lock. */
    private Map<String, ApiChecks> checks = Map.of();
    private boolean closed;

    /**
     * @param channelClass the socket channel class of {@code loops}
     * @param resolver resolves the checked hosts' names without blocking the event loops
     */
    public HealthMonitor(EventLoopGroup loops, Settings settings, TlsContexts tls,
            Class<? extends Channel> channelClass, AddressResolverGroup<?> resolver) {
        this.loops = loops;
        this.settings = settings;
        this.tls = tls;
        this.channelClass = channelClass;
        this.resolver = resolver;
    }

    /**
     * One API's running checks, by entry (an edited entry is a new probe), and the host health that gates its round
     * robin, {@code null} when it is not gated.
     */
    private record ApiChecks(Map<UptimeCheck, Probe> probes, HostHealth gate) {
    }

    /**
     * Runs the checks of these APIs from now on, and returns the host health of each gated API by id; an API
     * that is not gated (or has no checks) gets {@link HostHealth#ALWAYS_UP}.
     */
    public synchronized HostHealth.ByApi apply(List<ApiDefinition> apis) {
        if (settings.disabled() || closed) {
            return HostHealth.ByApi.ALWAYS_UP;
        }
        Map<String, ApiChecks> next = new HashMap<>();
        for (ApiDefinition api : apis) {
            checksOf(api, checks.get(api.apiId()), next);
        }
        return replace(checks.values(), next.values(), next);
    }

    /**
     * Runs the checks of the {@code changed} APIs from now on, and stops those of the {@code gone} ones; every other
     * API's checks carry on untouched. Returns the host health of each gated API by id, as {@link #apply} does.
     */
    public synchronized HostHealth.ByApi update(List<ApiDefinition> changed, Collection<String> gone) {
        if (settings.disabled() || closed) {
            return HostHealth.ByApi.ALWAYS_UP;
        }
        Map<String, ApiChecks> next = new HashMap<>(checks);
        List<ApiChecks> before = new ArrayList<>();
        for (String id : gone) {
            Optional.ofNullable(next.remove(id)).ifPresent(before::add);
        }
        List<ApiChecks> now = new ArrayList<>();
        for (ApiDefinition api : changed) {
            ApiChecks previous = next.remove(api.apiId());
            if (previous != null) {
                before.add(previous);
            }
            checksOf(api, previous, next);
            Optional.ofNullable(next.get(api.apiId())).ifPresent(now::add);
        }
        return replace(before, now, next);
    }

    /** Puts an API's checks into {@code next}, each entry's probe the one {@code previous} had for it, if any. */
    private void checksOf(ApiDefinition api, ApiChecks previous, Map<String, ApiChecks> next) {
        if (api.uptimeTests().checkList().isEmpty()) {
            return; // most APIs: nothing to run, nothing to allocate
        }
        Map<UptimeCheck, Probe> probes = new LinkedHashMap<>();
        for (UptimeCheck check : api.uptimeTests().checkList()) {
            Probe probe = previous == null ? null : previous.probes().get(check);
            if (probe == null && !probes.containsKey(check)) {
                probe = newProbe(api, check);
            }
            if (probe != null) {
                probes.putIfAbsent(check, probe);
            }
        }
        if (!probes.isEmpty()) {
            List<Probe> gating = api.uptimeTests().checkList().stream().map(probes::get).filter(Objects::nonNull)
                    .toList();
            next.put(api.apiId(), new ApiChecks(probes, api.proxy().checkHostAgainstUptimeTests()
                    ? new ApiHealth(gating) : null));
        }
    }

    /**
     * Publishes {@code next}: the probes of {@code before} (the checks replaced) that {@code now} (the checks that
     * replace them) does not run are stopped, and those it runs are started if new.
     */
    private HostHealth.ByApi replace(Collection<ApiChecks> before, Collection<ApiChecks> now,
            Map<String, ApiChecks> next) {
        Set<Probe> running = Collections.newSetFromMap(new IdentityHashMap<>());
        for (ApiChecks api : now) {
            running.addAll(api.probes().values());
        }
        for (ApiChecks api : before) {
            api.probes().values().stream().filter(p -> !running.contains(p)).forEach(Probe::stop);
        }
        running.forEach(Probe::startIfNew);
        checks = next;
        return id -> {
            ApiChecks api = next.get(id);
            return api == null || api.gate() == null ? HostHealth.ALWAYS_UP : api.gate();
        };
    }

    private Probe newProbe(ApiDefinition api, UptimeCheck check) {
        try {
            Integer recheck = api.uptimeTests().config() == null ? null : api.uptimeTests().config().recheckWait();
            Duration recheckWait = recheck == null || recheck <= 0 ? settings.timeWait() : Duration.ofSeconds(recheck);
            return new Probe(api.apiId(), Checks.of(api, check, tls, channelClass, resolver), recheckWait);
        } catch (IllegalArgumentException e) {
            // Checks names the API and the URL around the reason; the log line names them its own way.
            String reason = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
            log.warn("api={} uptime test '{}' cannot run, skipped: {}", api.apiId(), check.url(), reason);
            return null;
        }
    }

    /**
     * One checked host as its last check left it, for the status page.
     *
     * @param lastResult what the last check found: {@code ok}, or why it failed; empty before the first
     * @param checkedAtMillis when the last check ended, epoch milliseconds; 0 before the first
     */
    public record HostStatus(String apiId, String host, boolean up, String lastResult, long checkedAtMillis) {
    }

    /** Every checked host of every API, as the checks last left them. */
    public synchronized List<HostStatus> hosts() {
        List<HostStatus> hosts = new ArrayList<>();
        for (Probe probe : probes()) {
            hosts.add(new HostStatus(probe.apiId, probe.hostKey, probe.up, probe.lastResult, probe.checkedAtMillis));
        }
        hosts.sort(java.util.Comparator.comparing(HostStatus::apiId).thenComparing(HostStatus::host));
        return hosts;
    }

    /** Stops every check, and closes the resolver. */
    @Override
    public synchronized void close() {
        closed = true;
        probes().forEach(Probe::stop);
        checks = Map.of();
        resolver.close();
    }

    private List<Probe> probes() {
        return checks.values().stream().flatMap(api -> api.probes().values().stream()).toList();
    }

    static String normalize(String hostPort) {
        return hostPort.toLowerCase(Locale.ROOT);
    }

    /** A gated API's view: a host is up unless one of its checks says it is down. */
    private static final class ApiHealth implements HostHealth {
        private final Map<String, List<Probe>> byHost = new HashMap<>();

        ApiHealth(List<Probe> probes) {
            for (Probe probe : probes) {
                byHost.computeIfAbsent(probe.hostKey, k -> new ArrayList<>()).add(probe);
            }
        }

        @Override
        public boolean isUp(Target target) {
            List<Probe> checks = byHost.get(normalize(target.hostPort()));
            if (checks == null) {
                return true;
            }
            for (Probe probe : checks) {
                if (!probe.up) {
                    return false;
                }
            }
            return true;
        }
    }

    /** One check entry of one API, run again and again on one event loop, and the state it keeps. */
    private final class Probe {
        private final String apiId;
        private final HostCheck check;
        private final String hostKey;
        private final EventLoop loop;
        /** {@code uptime_tests.config.recheck_wait}: how often a host that is down is checked again. */
        private final Duration recheckWait;
        /** Read by target groups on any event loop; written on {@link #loop} only. */
        private volatile boolean up = true;
        /** For the status page: the last check's finding and when it ended. */
        private volatile String lastResult = "";
        private volatile long checkedAtMillis;
        private boolean decided;
        /** Whether the run after the first has been placed at random in the round. */
        private boolean spread;
        private int failures;
        private boolean started;
        private volatile boolean stopped;
        private ScheduledFuture<?> nextRun;

        Probe(String apiId, HostCheck check, Duration recheckWait) {
            this.apiId = apiId;
            this.check = check;
            this.recheckWait = recheckWait;
            this.hostKey = normalize(check.hostKey());
            this.loop = loops.next();
        }

        void startIfNew() {
            if (started) {
                return;
            }
            started = true;
            long firstDelay = ThreadLocalRandom.current().nextLong(Math.min(settings.timeWait().toNanos(),
                    TimeUnit.SECONDS.toNanos(1)) + 1);
            loop.execute(() -> schedule(firstDelay));
        }

        void stop() {
            stopped = true;
            loop.execute(() -> {
                if (nextRun != null) {
                    nextRun.cancel(false);
                }
            });
        }

        private void schedule(long delayNanos) {
            if (!stopped) {
                nextRun = loop.schedule(this::runOnce, delayNanos, TimeUnit.NANOSECONDS);
            }
        }

        private void runOnce() {
            if (stopped) {
                return;
            }
            check.run(loop).addListener(f -> {
                CheckResult result = Objects.requireNonNull((CheckResult) f.getNow());
                record(result);
                schedule(nextDelayNanos());
            });
        }

        /**
         * The wait before the next run: the interval give or take a tenth, except after the first run, which
         * every check makes within a second of loading; the second lands anywhere in half to one and a half
         * intervals, so a thousand checks loaded together spread over the round instead of coming in a wave.
         */
        private long nextDelayNanos() {
            long wait = (up ? settings.timeWait() : recheckWait).toNanos();
            ThreadLocalRandom random = ThreadLocalRandom.current();
            if (!spread) {
                spread = true;
                return wait / 2 + random.nextLong(wait + 1);
            }
            return wait - wait / 10 + random.nextLong(wait / 5 + 1);
        }

        private void record(CheckResult result) {
            if (stopped) {
                return;
            }
            lastResult = result.healthy() ? "ok" : result.reason();
            checkedAtMillis = System.currentTimeMillis();
            if (result.healthy()) {
                failures = 0;
                if (!decided) {
                    log.debug("api={} host={} is up (first check)", apiId, hostKey);
                } else if (!up) {
                    up = true;
                    log.info("api={} host={} is up again", apiId, hostKey);
                }
            } else {
                failures++;
                if (up && (!decided || failures >= settings.failureTriggerSampleSize())) {
                    up = false;
                    log.warn("api={} host={} is down after {} failed check{}: {}", apiId, hostKey, failures,
                            failures == 1 ? "" : "s", result.reason());
                }
            }
            decided = true;
        }
    }
}
