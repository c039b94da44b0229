package dev.gateway.core.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;

/**
 * Go's {@code time.Duration} text, as Tyk's files write durations: a sequence of decimal numbers, each with a unit
 * ({@code ns}, {@code us} or {@code µs}, {@code ms}, {@code s}, {@code m}, {@code h}), such as {@code "500ms"},
 * {@code "1.5s"}, {@code "1m30s"}; {@code "0"} needs no unit. Health-check timeouts and {@code hard_timeouts}
 * read it here.
 */
public final class GoDuration {

    private GoDuration() {
    }

    /**
     * Parses a Go duration string ({@code time.ParseDuration}'s syntax, without the sign: a timeout cannot be
     * negative).
     *
     * @param what what the value is, for the message: {@code timeout}, {@code duration}
     * @throws IllegalArgumentException naming the text when it is not a duration
     */
    public static Duration parse(String text, String what) {
        String s = text.trim();
        if (s.equals("0") || s.equals("+0")) {
            return Duration.ZERO;
        }
        int at = s.startsWith("+") ? 1 : 0;
        if (s.startsWith("-")) {
            throw new IllegalArgumentException(what + " '" + text + "' is negative");
        }
        if (at == s.length()) {
            throw invalid(what, text, "it is empty");
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
            BigDecimal value = number(what, text, s.substring(numberStart, unitStart));
            long unit = nanosPerUnit(what, text, s.substring(unitStart, at));
            nanos = nanos.add(value.multiply(BigDecimal.valueOf(unit)));
        }
        try {
            return Duration.ofNanos(nanos.setScale(0, RoundingMode.DOWN).longValueExact());
        } catch (ArithmeticException e) {
            throw invalid(what, text, "it is too long");
        }
    }

    private static boolean isNumberChar(char c) {
        return (c >= '0' && c <= '9') || c == '.';
    }

    private static BigDecimal number(String what, String text, String digits) {
        if (digits.isEmpty() || digits.equals(".")) {
            throw invalid(what, text, "a unit has no number before it");
        }
        try {
            return new BigDecimal(digits);
        } catch (NumberFormatException e) {
            throw invalid(what, text, "'" + digits + "' is not a number");
        }
    }

    private static long nanosPerUnit(String what, String text, String unit) {
        return switch (unit) {
            case "ns" -> 1L;
            // Go accepts the micro sign (U+00B5) and the Greek mu (U+03BC) as well as "us".
            case "us", "\u00b5s", "\u03bcs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            case "" -> throw invalid(what, text, "a number has no unit (ns, us, ms, s, m or h)");
            default -> throw invalid(what, text, "'" + unit + "' is not a unit (ns, us, ms, s, m or h)");
        };
    }

    private static IllegalArgumentException invalid(String what, String text, String why) {
        return new IllegalArgumentException(what + " '" + text + "' is not a duration such as \"500ms\" or \"2s\": "
                + why);
    }
}
