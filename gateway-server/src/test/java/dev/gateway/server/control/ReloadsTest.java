package dev.gateway.server.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Reloads asked for while one runs wait for the next, and share it. */
class ReloadsTest {

    @Test
    void asksDuringAReloadShareTheNextOne() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        try (Reloads reloads = new Reloads(() -> {
            if (runs.incrementAndGet() == 1) {
                running.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        })) {
            CompletableFuture<Void> first = reloads.request();
            assertTrue(running.await(10, TimeUnit.SECONDS));
            CompletableFuture<Void> second = reloads.request();
            CompletableFuture<Void> third = reloads.request();
            assertSame(second, third, "asks while one runs join the next");
            assertFalse(second.isDone(), "the running reload started before these asks");
            release.countDown();
            first.get(10, TimeUnit.SECONDS);
            third.get(10, TimeUnit.SECONDS);
            assertEquals(2, runs.get());
        }
    }
}
