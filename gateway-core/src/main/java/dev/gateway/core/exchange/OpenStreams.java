package dev.gateway.core.exchange;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The streams open now (WebSockets, event streams, TCP relays), per API and kind: each {@linkplain #onOpen open}
 * adds one, its {@linkplain #onEnd end} takes it away. The metrics' gauge and the status page both read it, so
 * both count from the listener's events and never from a second path.
 *
 * <p>Opens and ends come from every event loop: a counter per API and kind, made at its first open and kept (an
 * API's streams read 0 once closed rather than vanish), so an event is a map lookup and an atomic add. Ends of
 * other kinds (ordinary requests) return at once.
 */
public final class OpenStreams implements ExchangeListener {

    /** How many streams of one kind one API has open now. */
    public record Count(String apiId, ExchangeRecord.Kind kind, long open) {
    }

    private static final Comparator<Count> ORDER = Comparator.comparing(Count::apiId)
            .thenComparing(Count::kind);

    /** A map of counters by API id for each stream kind; filled once, read-only after. */
    private final Map<ExchangeRecord.Kind, ConcurrentMap<String, AtomicLong>> byKind =
            new EnumMap<>(ExchangeRecord.Kind.class);

    public OpenStreams() {
        for (ExchangeRecord.Kind kind : ExchangeRecord.Kind.values()) {
            if (kind.isStream()) {
                byKind.put(kind, new ConcurrentHashMap<>());
            }
        }
    }

    @Override
    public void onOpen(ExchangeRecord.Kind kind, String apiId) {
        add(kind, apiId, 1);
    }

    @Override
    public void onEnd(ExchangeRecord record) {
        if (record.kind().isStream()) {
            add(record.kind(), record.apiId(), -1);
        }
    }

    private void add(ExchangeRecord.Kind kind, String apiId, long delta) {
        ConcurrentMap<String, AtomicLong> apis = byKind.get(kind);
        if (apis == null) {
            return; // not a stream: nothing was opened
        }
        String api = apiId == null || apiId.isEmpty() ? "-" : apiId;
        AtomicLong open = apis.get(api);
        if (open == null) {
            open = apis.computeIfAbsent(api, a -> new AtomicLong());
        }
        open.addAndGet(delta);
    }

    /** Every API and kind that has had a stream, with how many are open now (0 too), by API id, then kind. */
    public List<Count> now() {
        List<Count> all = new ArrayList<>();
        byKind.forEach((kind, apis) -> apis.forEach((api, open) -> all.add(new Count(api, kind, open.get()))));
        all.sort(ORDER);
        return all;
    }

    /** Streams of {@code kind} open now, across APIs; 0 for a kind that is not a stream. */
    public long total(ExchangeRecord.Kind kind) {
        ConcurrentMap<String, AtomicLong> apis = byKind.get(kind);
        long sum = 0;
        if (apis != null) {
            for (AtomicLong open : apis.values()) {
                sum += open.get();
            }
        }
        return sum;
    }
}
