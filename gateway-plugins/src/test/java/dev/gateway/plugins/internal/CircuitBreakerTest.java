package dev.gateway.plugins.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.gateway.http.ExchangeEnd;
import dev.gateway.http.ProxyFailure;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The breaker's states on a clock the test turns: what opens it, what it counts, how it comes back. */
class CircuitBreakerTest {

    private final AtomicLong now = new AtomicLong(1_000);

    private CircuitBreaker breaker(double threshold, int samples, boolean halfOpenDisabled) {
        return new CircuitBreaker("api=t GET /x", threshold, samples, 5, halfOpenDisabled, now::get);
    }

    private static void call(CircuitBreaker breaker, int status) {
        ExchangeEnd end = breaker.admit();
        assertNotNull(end, "refused while " + breaker.state());
        end.ended(status, -1, null);
    }

    @Test
    void opensWhenTheFailedShareOfTheLastSamplesReachesTheThreshold() {
        CircuitBreaker breaker = breaker(0.5, 4, false);
        call(breaker, 500);
        call(breaker, 200);
        call(breaker, 200);
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state(), "fewer calls than samples are never judged");
        call(breaker, 200);
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state(), "1 of 4");
        call(breaker, 503);
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state(), "the first failure slid out: still 1 of 4");
        call(breaker, 500);
        assertEquals(CircuitBreaker.State.OPEN, breaker.state(), "2 of the last 4 failed");
        assertNull(breaker.admit());
    }

    @Test
    void theWindowForgetsOldFailures() {
        CircuitBreaker breaker = breaker(0.75, 4, false);
        call(breaker, 500);
        call(breaker, 500);
        call(breaker, 200);
        call(breaker, 200);
        call(breaker, 500);
        call(breaker, 200);
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state(), "never 3 of the last 4");
    }

    @Test
    void halfOpenLetsOneProbeThroughAndItsOutcomeDecides() {
        CircuitBreaker breaker = breaker(1, 1, false);
        call(breaker, 502);
        assertNull(breaker.admit());
        now.addAndGet(TimeUnit.SECONDS.toNanos(5));
        ExchangeEnd probe = breaker.admit();
        assertNotNull(probe);
        assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.state());
        assertNull(breaker.admit(), "one probe at a time");
        probe.ended(0, -1, null);
        ExchangeEnd second = breaker.admit();
        assertNotNull(second, "a probe whose client left proved nothing: the next call probes");
        second.ended(504, -1, ProxyFailure.HARD_TIMEOUT);
        assertEquals(CircuitBreaker.State.OPEN, breaker.state(), "a failed probe opens it again");
        now.addAndGet(TimeUnit.SECONDS.toNanos(5));
        breaker.admit().ended(200, -1, null);
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
    }

    @Test
    void withoutHalfOpenItClosesOutrightWhenTheTimeIsUp() {
        CircuitBreaker breaker = breaker(1, 1, true);
        call(breaker, 500);
        now.addAndGet(TimeUnit.SECONDS.toNanos(5) - 1);
        assertNull(breaker.admit());
        now.addAndGet(1);
        assertNotNull(breaker.admit());
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
        assertNotNull(breaker.admit(), "no probe limit once closed");
    }

    @Test
    void whatTheClientOrAnotherFilterCausedCountsNeitherWay() {
        CircuitBreaker breaker = breaker(0.5, 2, false);
        breaker.admit().ended(413, -1, ProxyFailure.REQUEST_TOO_LARGE);
        breaker.admit().ended(403, -1, ProxyFailure.ENDPOINT_FORBIDDEN);
        breaker.admit().ended(408, -1, ProxyFailure.CLIENT_TIMEOUT);
        breaker.admit().ended(0, -1, null);
        call(breaker, 500);
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state(), "one call judged so far");
        breaker.admit().ended(200, 14, null);
        assertEquals(CircuitBreaker.State.OPEN, breaker.state(), "a gRPC UNAVAILABLE is a failure");
    }

    @Test
    void upstreamFailuresWithoutAStatusOfTheirOwnCount() {
        CircuitBreaker breaker = breaker(1, 3, false);
        breaker.admit().ended(502, -1, ProxyFailure.UPSTREAM_REFUSED);
        breaker.admit().ended(200, -1, ProxyFailure.UPSTREAM_RESET); // broke off after its head
        breaker.admit().ended(503, -1, ProxyFailure.ALL_HOSTS_DOWN);
        assertEquals(CircuitBreaker.State.OPEN, breaker.state());
    }
}
