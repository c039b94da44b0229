package dev.gateway.server.metrics;

import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.exchange.OpenStreams;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.LocalRequest;
import dev.gateway.http.LocalService;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.function.ToDoubleFunction;

/**
 * The gateway's metrics, in Prometheus's text format at {@code GET /metrics}: every exchange's end per API
 * ({@link ExchangeMeters}, fed by the one {@code ExchangeListener} every protocol reports to) and the streams open
 * now ({@link #openStreams}, from that listener's opens and ends), the JVM's memory, GC, threads and CPU, Netty's
 * pooled allocator and the event loops' pending tasks, and gauges other parts register (host health, circuit
 * breakers). A scrape is rendered off the event loops.
 */
public final class GatewayMetrics implements LocalService, AutoCloseable {

    static final String PATH = "/metrics";
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ExchangeMeters exchanges = new ExchangeMeters(registry);
    private final Executor executor;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final List<Runnable> beforeScrape = new CopyOnWriteArrayList<>();

    /**
     * @param workers the event loops whose pending tasks are measured
     * @param executor where scrapes are rendered
     */
    public GatewayMetrics(EventLoopGroup workers, Executor executor) {
        this.executor = executor;
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        ByteBufAllocatorMetric allocator = PooledByteBufAllocator.DEFAULT.metric();
        gauge("netty.allocator.used.direct.memory", "bytes", "pooled direct memory in use", allocator,
                ByteBufAllocatorMetric::usedDirectMemory);
        gauge("netty.allocator.used.heap.memory", "bytes", "pooled heap memory in use", allocator,
                ByteBufAllocatorMetric::usedHeapMemory);
        gauge("netty.eventloop.pending.tasks", "tasks", "tasks waiting on the event loops", workers,
                GatewayMetrics::pendingTasks);
    }

    private <T> void gauge(String name, String unit, String description, T source, ToDoubleFunction<T> value) {
        Gauge.builder(name, source, value).baseUnit(unit).description(description).register(registry);
    }

    private static double pendingTasks(EventLoopGroup group) {
        long pending = 0;
        for (EventExecutor loop : group) {
            if (loop instanceof SingleThreadEventExecutor single) {
                pending += single.pendingTasks();
            }
        }
        return pending;
    }

    /** One series of a gauge whose series come and go (hosts, breakers): its tag values and its value. */
    public record Row(List<String> tagValues, double value) {
    }

    /**
     * A gauge with a series per row that {@code rows} gives, asked again at every scrape: rows that went are
     * dropped, new ones appear.
     */
    public void rows(String name, String description, List<String> tagKeys, Supplier<List<Row>> rows) {
        MultiGauge gauge = MultiGauge.builder(name).description(description).register(registry);
        beforeScrape.add(() -> gauge.register(rows.get().stream().map(row -> {
            Tags tags = Tags.empty();
            for (int i = 0; i < tagKeys.size(); i++) {
                tags = tags.and(tagKeys.get(i), row.tagValues().get(i));
            }
            return MultiGauge.Row.of(tags, row.value());
        }).collect(Collectors.toList()), true));
    }

    /**
     * {@code gateway_open_streams{api, kind}}: the WebSockets, event streams and TCP relays open now, as
     * {@code streams} counts them from the listener's opens and ends; asked at every scrape.
     */
    public void openStreams(OpenStreams streams) {
        rows("gateway.open.streams", "WebSockets, event streams and TCP relays open now", List.of("api", "kind"),
                () -> streams.now().stream().map(open -> new Row(List.of(open.apiId(),
                        open.kind().name().toLowerCase(Locale.ROOT)), open.open())).toList());
    }

    /** What every exchange's end is told to, to be counted. */
    public ExchangeListener exchanges() {
        return exchanges;
    }

    /** Where other parts register their gauges (host health, circuit breakers). */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public boolean serves(String path) {
        return PATH.equals(path);
    }

    @Override
    public CompletionStage<FilterDecision.Answer> answer(LocalRequest request) {
        return CompletableFuture.supplyAsync(() -> {
            beforeScrape.forEach(Runnable::run);
            return scrape();
        }, executor);
    }

    private FilterDecision.Answer scrape() {
        return new FilterDecision.Answer(HttpResponseStatus.OK,
                new DefaultHttpHeaders().set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE), registry.scrape());
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
