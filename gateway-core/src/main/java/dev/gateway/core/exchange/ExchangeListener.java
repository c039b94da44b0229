package dev.gateway.core.exchange;

/**
 * Told when an exchange ends, and when a long-lived one opens, on the event loop of its connection: keep it short
 * and never block. Each event is told once per exchange, from one place per protocol.
 *
 * <p>Streams ({@link ExchangeRecord.Kind#isStream}: a WebSocket, an event stream, a TCP relay) are told twice:
 * {@link #onOpen} when they start carrying traffic, then {@link #onEnd} with a record of the same kind and API id,
 * exactly once, however they end. What is open now is the opens minus the ends. Other exchanges are told only their
 * end, so an ordinary request costs a listener nothing more.
 */
@FunctionalInterface
public interface ExchangeListener {

    /** Listens to nothing. */
    ExchangeListener NONE = record -> {
    };

    void onEnd(ExchangeRecord record);

    /**
     * A stream opened: a WebSocket switched, a TCP relay started, or a proxied response turned out to be an event
     * stream ({@code text/event-stream}). Its end follows as a record of {@code kind}, with the same {@code apiId}.
     *
     * @param kind a kind that {@linkplain ExchangeRecord.Kind#isStream is a stream}
     * @param apiId the API that serves it
     */
    default void onOpen(ExchangeRecord.Kind kind, String apiId) {
    }

    /** Tells {@code first}, then {@code second}, of every event; either may be {@link #NONE}. */
    static ExchangeListener both(ExchangeListener first, ExchangeListener second) {
        if (first == NONE) {
            return second;
        }
        if (second == NONE) {
            return first;
        }
        return new ExchangeListener() {
            @Override
            public void onEnd(ExchangeRecord record) {
                first.onEnd(record);
                second.onEnd(record);
            }

            @Override
            public void onOpen(ExchangeRecord.Kind kind, String apiId) {
                first.onOpen(kind, apiId);
                second.onOpen(kind, apiId);
            }
        };
    }
}
