package dev.gateway.server;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads when files change in {@code app_path} or {@code policy_path} ({@code watch_config_folders}, not a Tyk
 * field, off by default), once the changes have settled: a burst of writes (an editor's temporary files, a
 * deployment copying many definitions) costs one reload, {@code settle} after the last change. Runs on a daemon
 * thread of its own.
 */
final class FolderWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FolderWatch.class);

    private final WatchService watcher;
    private final Thread thread;

    private FolderWatch(WatchService watcher, Duration settle, Runnable reload) {
        this.watcher = watcher;
        this.thread = new Thread(() -> run(settle, reload), "gateway-folder-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** Watches {@code folders} (those that exist) and calls {@code reload} after changes settle. */
    static FolderWatch start(List<Path> folders, Duration settle, Runnable reload) throws IOException {
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

    private void run(Duration settle, Runnable reload) {
        try {
            while (true) {
                WatchKey first = watcher.take();
                drain(first);
                // Settled once nothing more has changed for a whole settle period.
                WatchKey more;
                while ((more = watcher.poll(settle.toMillis(), TimeUnit.MILLISECONDS)) != null) {
                    drain(more);
                }
                log.info("files changed in a watched folder: reloading");
                reload.run();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    private static void drain(WatchKey key) {
        key.pollEvents();
        key.reset();
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
