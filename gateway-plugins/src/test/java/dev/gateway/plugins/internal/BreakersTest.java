package dev.gateway.plugins.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.gateway.core.config.ApiVersion;
import org.junit.jupiter.api.Test;

/** Breakers outlive a reload that keeps their entry, and only such a reload. */
class BreakersTest {

    private static ApiVersion.CircuitBreaker entry(long samples) {
        return new ApiVersion.CircuitBreaker(false, "/orders", "POST", 0.5, samples, 5, false);
    }

    @Test
    void anUnchangedEntryKeepsItsBreakerAndAChangedOneLetsTheOldGo() {
        Breakers breakers = new Breakers();
        CircuitBreaker first = breakers.of("shop", entry(10));
        breakers.compiled();
        assertSame(first, breakers.of("shop", entry(10)), "a reload that left the entry alone");
        breakers.compiled();
        CircuitBreaker changed = breakers.of("shop", entry(20));
        assertNotSame(first, changed);
        breakers.compiled();
        assertEquals(1, breakers.size(), "the old entry's breaker is forgotten");
        assertNotSame(first, breakers.of("shop", entry(10)), "and does not come back with its old state");
        breakers.compiled();
        assertEquals(1, breakers.size());
    }

    @Test
    void anApiWhoseFiltersAReloadKeptKeepsItsBreakerUntilItIsCompiledAgain() {
        Breakers breakers = new Breakers();
        CircuitBreaker kept = breakers.of("shop", entry(10));
        breakers.of("other", entry(10));
        breakers.compiled();
        breakers.of("other", entry(10));
        breakers.compiled("shop"::equals); // "shop" unchanged: its filters, holding the breaker, were kept
        assertEquals(2, breakers.size());
        breakers.compiled("shop"::equals);
        assertSame(kept, breakers.of("shop", entry(10)), "compiled again with the same entry, it is the same breaker");
        breakers.compiled();
        assertEquals(1, breakers.size(), "\"other\" neither kept nor asked for");
    }
}
