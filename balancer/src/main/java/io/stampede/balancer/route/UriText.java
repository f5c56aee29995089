package io.stampede.balancer.route;

import java.nio.charset.StandardCharsets;

/**
 * Makes text that variables and captures put into a URI safe to send: bytes that may not stand in a
 * request line or a header (controls, space, non-ASCII, and {@code "<>\\^`{|}}) are percent-encoded,
 * as nginx escapes a rewritten URI's arguments and a redirect's Location. What is already escaped
 * stays as it is.
 */
public final class UriText {
    private static final String UNSAFE = "\"<>\\^`{|}";

    private UriText() {}

    public static String escapeUnsafe(String s) {
        StringBuilder out = null;
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean unsafe = b <= 0x20 || b >= 0x7f || UNSAFE.indexOf(b) >= 0;
            if (unsafe && out == null) {
                out = new StringBuilder(new String(bytes, 0, i, StandardCharsets.ISO_8859_1));
            }
            if (out != null) {
                if (unsafe) {
                    out.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
                            .append(Character.toUpperCase(Character.forDigit(b & 15, 16)));
                } else {
                    out.append((char) b);
                }
            }
        }
        return out == null ? s : out.toString();
    }
}
