package dev.gateway.server;

import dev.gateway.auth.AuthFilters;
import dev.gateway.auth.BasicPasswords;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.Policy;
import dev.gateway.core.keys.Session;
import dev.gateway.core.snapshot.GatewaySnapshot;
import dev.gateway.redis.ClusterNotifications;
import dev.gateway.server.control.ApisApi;
import dev.gateway.server.control.ControlApi;
import dev.gateway.server.control.KeysApi;
import dev.gateway.server.control.PoliciesApi;
import dev.gateway.server.control.Reloads;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What changes a running gateway from outside: Tyk's Gateway API ({@link ControlApi}: keys, policies, APIs,
 * reloads), the queue of reloads it asks for, and Tyk's cluster notifications on a shared Redis, which reload every
 * gateway and make every session cache forget a changed key. Its work runs on a thread of its own, never on the
 * event loops.
 */
final class ControlPlane implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

    private final KeyStores keys;
    private final Supplier<Map<String, Policy>> policies;
    /** Runs the control API's work (bcrypt, files, scrapes) off the event loops, one call at a time. */
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "gateway-control");
        thread.setDaemon(true);
        return thread;
    });
    private final Reloads reloads;
    private final ControlApi api;
    /** Tyk's cluster notifications on the shared Redis; {@code null} without Redis. */
    private final ClusterNotifications notifications;

    /**
     * @param reload the gateway's own reload, queued through {@link #reloads()}
     */
    ControlPlane(GatewayConfig config, Path confFile, KeyStores keys, Supplier<Map<String, Policy>> policies,
            Supplier<GatewaySnapshot> snapshot, Runnable reload) {
        this.keys = keys;
        this.policies = policies;
        this.reloads = new Reloads(reload);
        Path confDir = confFile.getParent();
        this.api = new ControlApi(config.secret(), config.auth().controlApiPort() != 0
                ? config.auth().controlApiPort() : config.listenPort(), keysApi(config),
                new PoliciesApi(config.auth().policies(), confDir, policies),
                new ApisApi(confDir.resolve(config.appPath()).normalize(), confDir, snapshot), reloads,
                this::groupReload, executor);
        this.notifications = keys.redis().map(redis -> redis.notifications(config.auth().nodeSecret(),
                config.auth().allowInsecureConfigs(), this::heard)).orElse(null);
    }

    ControlApi api() {
        return api;
    }

    Reloads reloads() {
        return reloads;
    }

    /** The control plane's thread, for other work that must stay off the event loops (scrapes, the status page). */
    Executor executor() {
        return executor;
    }

    /** The key endpoints of the control API, applying policies and hashing passwords as Tyk does. */
    private KeysApi keysApi(GatewayConfig config) {
        String passwordHash = BasicPasswords.algorithm(config.auth().basicAuthHashKeyFunction());
        return new KeysApi(keys.sessions(), keys.limits(), config.auth(), session -> {
            AuthFilters.applyPolicies(session, policies.get(), session.orgId()).ifPresent(why -> {
                throw new IllegalStateException(why);
            });
            return session;
        }, password -> new Session.BasicAuthData(BasicPasswords.hash(password, passwordHash), passwordHash),
                () -> System.currentTimeMillis() / 1000, this::keyChanged);
    }

    /** A key was written or deleted here: every gateway on the shared Redis forgets its cached session. */
    private void keyChanged(String storageName) {
        if (notifications != null) {
            notifications.publish(ClusterNotifications.KEY_SPACE_UPDATE, storageName);
        }
    }

    /** {@code /tyk/reload/group}: every gateway on the shared Redis reloads (this one hears its own message). */
    private CompletionStage<Void> groupReload() {
        return notifications == null ? reloads.request() : notifications.publish(ClusterNotifications.GROUP_RELOAD,
                "");
    }

    /** A cluster notification from any gateway on the shared Redis, Tyk's included. */
    private void heard(ClusterNotifications.Notification notification) {
        switch (notification.command()) {
            case ClusterNotifications.GROUP_RELOAD, "ApiUpdated", "ApiAdded", "ApiRemoved", "PolicyChanged" -> {
                log.info("cluster notification {}: reloading", notification.command());
                reloads.request();
            }
            case ClusterNotifications.KEY_SPACE_UPDATE -> {
                for (String entry : notification.payload().split(",")) {
                    int colon = entry.indexOf(':');
                    keys.forget(colon < 0 ? entry : entry.substring(0, colon));
                }
            }
            default -> log.debug("cluster notification {} ignored", notification.command());
        }
    }

    @Override
    public void close() {
        if (notifications != null) {
            notifications.close();
        }
        executor.shutdownNow();
        reloads.close();
    }
}
