package dev.gateway.server;

import dev.gateway.core.config.GatewayConfig;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads when files change in {@code app_path} or {@code policy_path} ({@code watch_config_folders}, not a Tyk
 * field, off by default), once the changes have settled: a burst of writes (an editor's temporary files, a
 * deployment copying many definitions) costs one reload, {@code settle} after the last change, and that reload is
 * told which files changed. Runs on a daemon thread of its own, which runs the reload too.
 */
final class FolderWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FolderWatch.class);

    private final WatchService watcher;
    private final Thread thread;

    /** What the watch reports once changes have settled. */
    interface Changes {

        /** These definition files in {@code app_path} changed, and the policies if {@code policies}. */
        void changed(List<Path> definitions, boolean policies);

        /** Too many files changed at once for the watch to name them: everything must be read again. */
        void lostCount();
    }

    /**
     * Watches {@code app_path} and {@code policy_path} (those that exist) as {@code watch_config_folders} asks;
     * {@code null} when they cannot be watched (logged). Changes to other files there are not reported.
     */
    static FolderWatch start(GatewayConfig config, Path confDir, Changes changes) {
        Path appDir = confDir.resolve(config.appPath()).normalize();
        List<Path> folders = new ArrayList<>(List.of(appDir));
        String policyPath = config.auth().policies().policyPath();
        Path policyDir = policyPath.isEmpty() ? null : confDir.resolve(policyPath).normalize();
        if (policyDir != null) {
            folders.add(policyDir);
        }
        try {
            return start(folders, Duration.ofMillis(config.watchConfigFolders().settleMs()), changed -> {
                if (changed == null) {
                    changes.lostCount();
                    return;
                }
                List<Path> definitions = changed.stream()
                        .filter(f -> appDir.equals(f.getParent()) && f.getFileName().toString().endsWith(".json"))
                        .toList();
                boolean policies = policyDir != null && changed.stream().anyMatch(f -> policyDir.equals(f.getParent()));
                if (!definitions.isEmpty() || policies) {
                    changes.changed(definitions, policies);
                }
            });
        } catch (IOException e) {
            log.error("cannot watch {} for changes: {}", folders, e.toString());
            return null;
        }
    }

    private FolderWatch(WatchService watcher, Duration settle, Consumer<Set<Path>> reload) {
        this.watcher = watcher;
        this.thread = new Thread(() -> run(settle, reload), "gateway-folder-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Watches {@code folders} (those that exist) and calls {@code reload} after changes settle, with the paths that
     * changed, or {@code null} when the watch lost count of them (too many at once).
     */
    private static FolderWatch start(List<Path> folders, Duration settle, Consumer<Set<Path>> reload)
            throws IOException {
        WatchService watcher = FileSystems.getDefault().newWatchService();
        for (Path folder : folders) {
            if (Files.isDirectory(folder)) {
                folder.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                        StandardWatchEventKinds.ENTRY_MODIFY);
                log.info("watching {} for changes; reloading {} ms after they settle", folder, settle.toMillis());
            }
        }
        return new FolderWatch(watcher, settle, reload);
    }

    private void run(Duration settle, Consumer<Set<Path>> reload) {
        try {
            while (true) {
                Set<Path> changed = new HashSet<>();
                boolean lost = drain(watcher.take(), changed);
                // Settled once nothing more has changed for a whole settle period.
                WatchKey more;
                while ((more = watcher.poll(settle.toMillis(), TimeUnit.MILLISECONDS)) != null) {
                    lost |= drain(more, changed);
                }
                log.info("files changed in a watched folder: {}", lost ? "too many to name, reloading everything"
                        : changed.stream().map(p -> p.getFileName().toString()).sorted().toList());
                reload.accept(lost ? null : changed);
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    /** Adds the paths a key's events name to {@code changed}; true when some were lost (an overflow). */
    private static boolean drain(WatchKey key, Set<Path> changed) {
        boolean lost = false;
        Path folder = (Path) key.watchable();
        for (WatchEvent<?> event : key.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                lost = true;
            } else {
                changed.add(folder.resolve((Path) event.context()));
            }
        }
        key.reset();
        return lost;
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            log.debug("closing the folder watch: {}", e.toString());
        }
        thread.interrupt();
    }
}
