package io.stampede.common;

/** Parses sizes in nginx's syntax: bytes, or a number with {@code k/K}, {@code m/M}, {@code g/G}. */
public final class Sizes {
    private Sizes() {}

    /** @throws IllegalArgumentException naming the value and what was expected */
    public static long parse(String text) {
        String s = text == null ? "" : text.trim();
        if (s.isEmpty()) {
            throw invalid(text);
        }
        long unit = 1;
        char last = s.charAt(s.length() - 1);
        switch (last) {
            case 'k', 'K' -> unit = 1024L;
            case 'm', 'M' -> unit = 1024L * 1024;
            case 'g', 'G' -> unit = 1024L * 1024 * 1024;
            default -> { }
        }
        String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
        if (digits.isEmpty() || digits.length() > 15 || !digits.chars().allMatch(Character::isDigit)) {
            throw invalid(text);
        }
        return Math.multiplyExact(Long.parseLong(digits), unit);
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("'" + text + "' is not a size (expected e.g. 512, 8k, 1m, 1g)");
    }
}
