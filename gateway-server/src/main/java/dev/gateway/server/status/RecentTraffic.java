package dev.gateway.server.status;

import dev.gateway.core.exchange.ExchangeListener;
import dev.gateway.core.exchange.ExchangeRecord;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Requests and errors per API over the last minute, for the status page: sixty one-second buckets per API, fed by
 * every exchange's end. An error is a 5xx, or a failure the gateway named (refused, timed out, limited).
 */
public final class RecentTraffic implements ExchangeListener {

    private static final int SECONDS = 60;

    /** The last minute of one API. */
    private static final class Minute {
        private final long[] second = new long[SECONDS];
        private final long[] requests = new long[SECONDS];
        private final long[] errors = new long[SECONDS];

        synchronized void add(long now, boolean error) {
            int slot = (int) (now % SECONDS);
            if (second[slot] != now) {
                second[slot] = now;
                requests[slot] = 0;
                errors[slot] = 0;
            }
            requests[slot]++;
            if (error) {
                errors[slot]++;
            }
        }

        synchronized Counts sum(long now) {
            long r = 0;
            long e = 0;
            for (int i = 0; i < SECONDS; i++) {
                if (now - second[i] < SECONDS) {
                    r += requests[i];
                    e += errors[i];
                }
            }
            return new Counts(r, e);
        }
    }

    /** Requests and errors of one API in the last minute. */
    public record Counts(long requests, long errors) {
    }

    private final Map<String, Minute> apis = new ConcurrentHashMap<>();
    private final LongSupplier epochSeconds;

    public RecentTraffic() {
        this(() -> System.currentTimeMillis() / 1000);
    }

    RecentTraffic(LongSupplier epochSeconds) {
        this.epochSeconds = epochSeconds;
    }

    @Override
    public void onEnd(ExchangeRecord record) {
        if (record.kind() == ExchangeRecord.Kind.WEBSOCKET || record.kind() == ExchangeRecord.Kind.TCP) {
            return;
        }
        String api = record.apiId().isEmpty() ? "-" : record.apiId();
        Minute minute = apis.get(api);
        if (minute == null) {
            minute = apis.computeIfAbsent(api, a -> new Minute());
        }
        minute.add(epochSeconds.getAsLong(), record.status() >= 500 || !record.outcome().isEmpty());
    }

    /** Each API's last minute, by API id. */
    public Map<String, Counts> lastMinute() {
        long now = epochSeconds.getAsLong();
        Map<String, Counts> all = new TreeMap<>();
        apis.forEach((api, minute) -> all.put(api, minute.sum(now)));
        return all;
    }
}
