package dev.gateway.healthcheck;

import com.fasterxml.jackson.databind.JsonNode;
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

    /**
     * Parses a Go duration string ({@code time.ParseDuration}'s syntax, without the sign: a timeout cannot be
     * negative).
     *
     * @throws IllegalArgumentException naming the text when it is not a duration
     */
    public static Duration parseGoDuration(String text) {
        String s = text.trim();
        if (s.equals("0") || s.equals("+0")) {
            return Duration.ZERO;
        }
        int at = s.startsWith("+") ? 1 : 0;
        if (s.startsWith("-")) {
            throw new IllegalArgumentException("timeout '" + text + "' is negative");
        }
        if (at == s.length()) {
            throw invalid(text, "it is empty");
        }
        BigDecimal nanos = BigDecimal.ZERO;
        while (at < s.length()) {
            int numberStart = at;
            while (at < s.length() && isNumberChar(s.charAt(at))) {
                at++;
            }
            int unitStart = at;
            while (at < s.length() && !isNumberChar(s.charAt(at))) {
                at++;
            }
            BigDecimal value = number(text, s.substring(numberStart, unitStart));
            nanos = nanos.add(value.multiply(BigDecimal.valueOf(nanosPerUnit(text, s.substring(unitStart, at)))));
        }
        try {
            return Duration.ofNanos(nanos.setScale(0, RoundingMode.DOWN).longValueExact());
        } catch (ArithmeticException e) {
            throw invalid(text, "it is too long");
        }
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

    private static boolean isNumberChar(char c) {
        return (c >= '0' && c <= '9') || c == '.';
    }

    private static BigDecimal number(String text, String digits) {
        if (digits.isEmpty() || digits.equals(".")) {
            throw invalid(text, "a unit has no number before it");
        }
        try {
            return new BigDecimal(digits);
        } catch (NumberFormatException e) {
            throw invalid(text, "'" + digits + "' is not a number");
        }
    }

    private static long nanosPerUnit(String text, String unit) {
        return switch (unit) {
            case "ns" -> 1L;
            // Go accepts the micro sign (U+00B5) and the Greek mu (U+03BC) as well as "us".
            case "us", "\u00b5s", "\u03bcs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            case "" -> throw invalid(text, "a number has no unit (ns, us, ms, s, m or h)");
            default -> throw invalid(text, "'" + unit + "' is not a unit (ns, us, ms, s, m or h)");
        };
    }

    private static IllegalArgumentException invalid(String text, String why) {
        return new IllegalArgumentException("timeout '" + text + "' is not a duration such as \"500ms\" or \"2s\": "
                + why);
    }
}
