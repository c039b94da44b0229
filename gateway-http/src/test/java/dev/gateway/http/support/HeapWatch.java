package dev.gateway.http.support;

import com.sun.management.GarbageCollectionNotificationInfo;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Samples memory while a transfer runs, on a background thread: the heap in use ({@link MemoryMXBean}), the heap
 * still in use after each garbage collection (what is really retained), and the direct memory Netty's default
 * allocator has handed out (where the gateway's own buffers live). A gateway that gathered a body instead of
 * streaming it shows up in one of the three.
 */
public final class HeapWatch implements AutoCloseable {

    public static final long MIB = 1024 * 1024;

    private static final long PERIOD_MILLIS = 5;

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final AtomicLong maxUsed = new AtomicLong();
    private final AtomicLong maxAfterGc = new AtomicLong();
    private final AtomicLong maxNettyDirect = new AtomicLong();
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(pool -> pool.getType() == MemoryType.HEAP)
            .map(MemoryPoolMXBean::getName)
            .collect(Collectors.toSet());
    private final NotificationListener gcListener = this::onGc;
    private final Thread sampler;
    private volatile boolean running = true;

    private HeapWatch() {
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (collector instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(gcListener, null, null);
                emitters.add(emitter);
            }
        }
        sampler = new Thread(this::sample, "heap-watch");
        sampler.setDaemon(true);
        sampler.start();
    }

    public static HeapWatch start() {
        return new HeapWatch();
    }

    private void sample() {
        while (running) {
            maxUsed.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
            if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
                maxNettyDirect.accumulateAndGet(provider.metric().usedDirectMemory(), Math::max);
            }
            try {
                Thread.sleep(PERIOD_MILLIS); // a sampling period, not a wait for some event
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void onGc(Notification notification, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info =
                GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
        long used = 0;
        for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
            if (heapPools.contains(pool.getKey())) {
                used += pool.getValue().getUsed();
            }
        }
        maxAfterGc.accumulateAndGet(used, Math::max);
    }

    /** The most heap seen in use, garbage included. */
    public long maxHeapUsed() {
        return maxUsed.get();
    }

    /** The most heap seen in use right after a collection; 0 when none ran. */
    public long maxHeapAfterGc() {
        return maxAfterGc.get();
    }

    /** The most direct memory seen handed out by Netty's default allocator. */
    public long maxNettyDirect() {
        return maxNettyDirect.get();
    }

    public String summary() {
        return String.format("heap used max %d MiB, after GC max %d MiB, Netty direct max %d MiB",
                maxHeapUsed() / MIB, maxHeapAfterGc() / MIB, maxNettyDirect() / MIB);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        sampler.join();
        for (NotificationEmitter emitter : emitters) {
            try {
                emitter.removeNotificationListener(gcListener);
            } catch (javax.management.ListenerNotFoundException ignored) {
                // not registered
            }
        }
    }
}
