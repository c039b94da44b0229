package dev.gateway.healthcheck;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gateway.core.config.GoDuration;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;

/**
 * Reads an uptime check's {@code timeout}. Tyk's documentation calls it milliseconds, while Tyk's code decodes a
 * Go {@code time.Duration}, which is a string such as {@code "2s"} or a number of nanoseconds. We accept both
 * forms where the intent is clear:
 *
 * <ul>
 *   <li>A JSON string is a Go duration: a sequence of decimal numbers, each with a unit ({@code ns}, {@code us}
 *       or {@code µs}, {@code ms}, {@code s}, {@code m}, {@code h}), such as {@code "500ms"}, {@code "1.5s"},
 *       {@code "1m30s"}, {@code "250us"}, {@code "100ns"}. {@code "0"} needs no unit.</li>
 *   <li>A JSON number is milliseconds, as the docs say, except a number of {@value #NANOSECONDS_FROM} or more,
 *       which is nanoseconds, as Tyk's code reads it: a million milliseconds would be almost 17 minutes for one
 *       check, which nobody means, while a million nanoseconds is one millisecond.</li>
 *   <li>Zero, {@code null}, an empty string or a missing field means the caller's fallback.</li>
 * </ul>
 *
 * Anything else (a negative value, a string that is not a duration, a boolean or an object) is rejected with an
 * {@link IllegalArgumentException} that names the value.
 */
public final class CheckTimeouts {

    /** The smallest JSON number read as nanoseconds rather than milliseconds (see the class comment). */
    public static final long NANOSECONDS_FROM = 1_000_000L;

    private static final BigDecimal NANOS_PER_MILLI = BigDecimal.valueOf(1_000_000L);

    private CheckTimeouts() {
    }

    /**
     * The timeout {@code timeout} names, or {@code fallback} when it names none.
     *
     * @param timeout the raw {@code timeout} field; {@code null} when the field is missing
     * @param fallback what a missing or zero timeout means
     * @throws IllegalArgumentException when the value is not a timeout
     */
    public static Duration parse(JsonNode timeout, Duration fallback) {
        if (timeout == null || timeout.isNull() || timeout.isMissingNode()) {
            return fallback;
        }
        Duration parsed;
        if (timeout.isNumber()) {
            parsed = fromNumber(timeout.decimalValue());
        } else if (timeout.isTextual()) {
            String text = timeout.asText().trim();
            parsed = text.isEmpty() ? Duration.ZERO : parseGoDuration(text);
        } else {
            throw new IllegalArgumentException("timeout " + timeout
                    + " is neither a number of milliseconds nor a duration such as \"500ms\"");
        }
        return parsed.isZero() ? fallback : parsed;
    }

    /** Parses a Go duration string; see {@link GoDuration#parse}. */
    public static Duration parseGoDuration(String text) {
        return GoDuration.parse(text, "timeout");
    }

    private static Duration fromNumber(BigDecimal value) {
        if (value.signum() < 0) {
            throw new IllegalArgumentException("timeout " + value.toPlainString() + " is negative");
        }
        BigDecimal nanos = value.compareTo(BigDecimal.valueOf(NANOSECONDS_FROM)) >= 0
                ? value
                : value.multiply(NANOS_PER_MILLI);
        try {
            return Duration.ofNanos(nanos.setScale(0, RoundingMode.DOWN).longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("timeout " + value.toPlainString() + " is too large");
        }
    }

}
