package io.stampede.common;

import java.time.Duration;
import java.util.Locale;

/**
 * Parses durations in nginx's syntax: a number with an optional unit ({@code ms s m h d w M y}),
 * several of them summed ({@code "1h 30m"}, {@code "1m30s"}); a bare number means seconds, as in
 * nginx's time directives.
 */
public final class Durations {
    private Durations() {}

    /** @throws IllegalArgumentException naming the value and what was expected */
    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw invalid(text);
        }
        String s = text.trim();
        long totalMillis = 0;
        int i = 0;
        while (i < s.length()) {
            if (s.charAt(i) == ' ') {
                i++;
                continue;
            }
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            if (i == start || i - start > 12) {
                throw invalid(text);
            }
            long number = Long.parseLong(s.substring(start, i));
            long unitMillis;
            if (s.startsWith("ms", i)) {
                unitMillis = 1;
                i += 2;
            } else if (i < s.length() && s.charAt(i) != ' ') {
                unitMillis = switch (s.charAt(i)) {
                    case 's' -> 1_000L;
                    case 'm' -> 60_000L;
                    case 'h' -> 3_600_000L;
                    case 'd' -> 86_400_000L;
                    case 'w' -> 7 * 86_400_000L;
                    case 'M' -> 30 * 86_400_000L;
                    case 'y' -> 365 * 86_400_000L;
                    default -> throw invalid(text);
                };
                i++;
            } else {
                unitMillis = 1_000L;
            }
            totalMillis = Math.addExact(totalMillis, Math.multiplyExact(number, unitMillis));
        }
        return Duration.ofMillis(totalMillis);
    }

    /** Formats the way nginx users write it: {@code 500ms}, {@code 10s}, {@code 5m}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000L == 0 && ms != 0) {
            return ms / 3_600_000L + "h";
        }
        if (ms % 60_000L == 0 && ms != 0) {
            return ms / 60_000L + "m";
        }
        if (ms % 1_000L == 0) {
            return ms / 1_000L + "s";
        }
        return ms + "ms";
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException(String.format(Locale.ROOT,
                "'%s' is not a duration (expected e.g. 500ms, 10s, 1m, 1h 30m)", text));
    }
}
