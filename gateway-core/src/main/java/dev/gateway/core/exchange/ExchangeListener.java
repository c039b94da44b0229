package dev.gateway.core.exchange;

/**
 * Told when an exchange ends, on the event loop of its connection: keep it short and never block. It is called once
 * per exchange, from one place per protocol.
 */
@FunctionalInterface
public interface ExchangeListener {

    /** Listens to nothing. */
    ExchangeListener NONE = record -> {
    };

    void onEnd(ExchangeRecord record);

    /** Tells {@code first}, then {@code second}; either may be {@link #NONE}. */
    static ExchangeListener both(ExchangeListener first, ExchangeListener second) {
        if (first == NONE) {
            return second;
        }
        if (second == NONE) {
            return first;
        }
        return record -> {
            first.onEnd(record);
            second.onEnd(record);
        };
    }
}
