package io.stampede.balancer.log;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * nginx's {@code combined} format plus {@code "$upstream_addr" $request_time
 * $upstream_response_time}, one entry per upstream attempt joined by ", " as nginx does.
 */
public final class AccessFormat {
    private static final DateTimeFormatter TIME_LOCAL =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH).withZone(ZoneId.systemDefault());

    private AccessFormat() {}

    public static String line(AccessRecord r) {
        StringBuilder b = new StringBuilder(200);
        b.append(r.remoteAddr).append(" - - [").append(TIME_LOCAL.format(Instant.ofEpochMilli(r.startMillis())))
                .append("] \"").append(escape(r.requestLine)).append("\" ").append(r.status).append(' ')
                .append(r.bytesSent).append(" \"").append(r.referer == null ? "-" : escape(r.referer))
                .append("\" \"").append(r.userAgent == null ? "-" : escape(r.userAgent)).append("\" \"");
        String addrs = r.joined(AccessRecord.Try::addr);
        String times = r.joined(t -> seconds(t.nanos()));
        b.append(addrs == null ? "-" : addrs).append("\" ").append(seconds(System.nanoTime() - r.startNanos)).append(' ')
                .append(times == null ? "-" : times);
        return b.toString();
    }

    static String seconds(long nanos) {
        long ms = nanos / 1_000_000;
        return ms / 1000 + "." + String.format(Locale.ROOT, "%03d", ms % 1000);
    }

    /** nginx escapes quotes, backslashes and bytes outside printable ASCII as \xHH. */
    private static String escape(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) {
                if (out == null) {
                    out = new StringBuilder(s.length() + 8).append(s, 0, i);
                }
                out.append(String.format(Locale.ROOT, "\\x%02X", (int) c & 0xff));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }
}
