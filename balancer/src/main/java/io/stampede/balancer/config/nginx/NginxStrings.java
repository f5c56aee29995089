package io.stampede.balancer.config.nginx;

/**
 * nginx's escapes in a quoted string, one table for the nginx.conf reader, the conversion to YAML
 * and the YAML values that take a quoted string ({@code return}'s text): {@code \"}, {@code \'}
 * and {@code \\} stand for themselves, {@code \t}, {@code \r} and {@code \n} for those
 * characters, and a backslash before anything else stays.
 */
public final class NginxStrings {
    private NginxStrings() {}

    /** Appends what {@code \}{@code e} stands for. */
    static void appendEscaped(StringBuilder out, char e) {
        switch (e) {
            case '"', '\'', '\\' -> out.append(e);
            case 't' -> out.append('\t');
            case 'r' -> out.append('\r');
            case 'n' -> out.append('\n');
            default -> out.append('\\').append(e);
        }
    }

    /** The inside of a quoted string, its escapes read. */
    public static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                appendEscaped(out, s.charAt(++i));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * {@code text} as a word that reads back as it was: as it is when it has nothing to escape,
     * else a quoted string.
     */
    public static String quote(String text) {
        boolean plain = !text.isEmpty();
        for (int i = 0; i < text.length() && plain; i++) {
            plain = " \t\r\n\"'\\".indexOf(text.charAt(i)) < 0;
        }
        if (plain) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"', '\\' -> out.append('\\').append(c);
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
