package dev.gateway.server.metrics;

import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.exchange.ExchangeRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Every exchange's end, counted per API: HTTP requests by status class (and gRPC calls by status), their durations
 * in buckets suited to a proxy, bytes each way, failures by kind (upstream refused, reset, timed out, TLS, every host
 * down; rate limits, quotas; refusals), event streams, WebSocket sessions and TCP relays with their durations. An
 * event stream is a request like any other, but its duration is how long it was open, not how long its answer took,
 * so it is timed apart from the requests' latency. (What is open now is {@code OpenStreams}'s.) Labels are bounded:
 * the API id ({@code -} for requests no API took), a status class, a gRPC status, a failure name; never a path or
 * a client address. Meters are made once per API and kept, so an exchange's end costs a map lookup and a few
 * increments, on its event loop.
 */
final class ExchangeMeters implements ExchangeListener {

    /** Sub-millisecond to a minute: a proxy's answers, and the long polls and streams it carries. */
    static final Duration[] DURATION_BUCKETS = {Duration.ofMillis(1).dividedBy(2), Duration.ofMillis(1),
        Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofSeconds(60)};

    private static final String[] CLASSES = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};

    private final MeterRegistry registry;
    private final Map<String, ApiMeters> apis = new ConcurrentHashMap<>();

    ExchangeMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** One API's meters, made on its first exchange. */
    private final class ApiMeters {
        private final String api;
        private final Counter[] requests = new Counter[CLASSES.length];
        private final Timer duration;
        private final Counter received;
        private final Counter sent;
        private final Map<Integer, Counter> grpc = new ConcurrentHashMap<>();
        private final Map<String, Counter> failures = new ConcurrentHashMap<>();
        private final Timer eventStreams;
        private final Timer websockets;
        private final Timer relays;

        ApiMeters(String api) {
            this.api = api;
            for (int i = 0; i < CLASSES.length; i++) {
                requests[i] = Counter.builder("gateway.http.requests").description("HTTP requests answered")
                        .tags("api", api, "code", CLASSES[i]).register(registry);
            }
            duration = Timer.builder("gateway.http.request.duration").description("from request head to the end of"
                    + " the response").tags("api", api).serviceLevelObjectives(DURATION_BUCKETS).register(registry);
            received = Counter.builder("gateway.received.bytes").baseUnit("bytes")
                    .description("bytes from clients").tags("api", api).register(registry);
            sent = Counter.builder("gateway.sent.bytes").baseUnit("bytes")
                    .description("bytes to clients").tags("api", api).register(registry);
            eventStreams = Timer.builder("gateway.event.streams").description("event streams ended, and how long"
                    + " they were open").tags("api", api).serviceLevelObjectives(DURATION_BUCKETS).register(registry);
            websockets = Timer.builder("gateway.websocket.sessions").description("WebSockets closed, and how long"
                    + " they were open").tags("api", api).serviceLevelObjectives(DURATION_BUCKETS).register(registry);
            relays = Timer.builder("gateway.tcp.connections").description("TCP relays closed, and how long they"
                    + " were open").tags("api", api).serviceLevelObjectives(DURATION_BUCKETS).register(registry);
        }

        void record(ExchangeRecord record) {
            received.increment(record.bytesFromClient());
            sent.increment(record.bytesToClient());
            switch (record.kind()) {
                case WEBSOCKET -> websockets.record(record.durationNanos(), TimeUnit.NANOSECONDS);
                case TCP -> relays.record(record.durationNanos(), TimeUnit.NANOSECONDS);
                default -> {
                    int status = record.status();
                    requests[status >= 100 && status < 600 ? status / 100 : 0].increment();
                    (record.kind() == ExchangeRecord.Kind.EVENT_STREAM ? eventStreams : duration)
                            .record(record.durationNanos(), TimeUnit.NANOSECONDS);
                    if (record.grpcStatus() >= 0) {
                        grpc.computeIfAbsent(record.grpcStatus(), code -> Counter.builder("gateway.grpc.responses")
                                .description("gRPC calls by their status").tags("api", api, "grpc_status",
                                        Integer.toString(code)).register(registry)).increment();
                    }
                }
            }
            if (record.outcome().isEmpty()) {
                return;
            }
            boolean relay = record.kind() == ExchangeRecord.Kind.WEBSOCKET || record.kind() == ExchangeRecord.Kind.TCP;
            String key = relay ? record.kind() + " " + record.outcome() : record.outcome();
            failures.computeIfAbsent(key, k -> relay
                    ? Counter.builder("gateway.relay.ends").description("WebSockets and TCP relays by how they ended")
                            .tags("api", api, "kind", record.kind().name().toLowerCase(java.util.Locale.ROOT), "end",
                                    record.outcome()).register(registry)
                    : Counter.builder("gateway.failures").description("requests that failed or were refused, by"
                            + " why: upstream refused, reset, timed out, TLS, every host down; limits; refusals")
                            .tags("api", api, "failure", record.outcome()).register(registry)).increment();
        }
    }

    @Override
    public void onEnd(ExchangeRecord record) {
        String api = record.apiId().isEmpty() ? "-" : record.apiId();
        ApiMeters meters = apis.get(api);
        if (meters == null) {
            meters = apis.computeIfAbsent(api, ApiMeters::new);
        }
        meters.record(record);
    }
}
