package io.stampede.loadgen.report;

import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.ErrorKey;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;

/**
 * Locust's four CSV files with their exact headers: {@code _stats.csv}, {@code _failures.csv} and
 * {@code _exceptions.csv} rewritten every second and once more at the end (atomically, so a
 * reader never sees half a file), and {@code _stats_history.csv} appended every second.
 */
public final class CsvFiles {
    public static final String STATS_HEADER = "Type,Name,Request Count,Failure Count,Median Response Time,"
            + "Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
            + "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";
    public static final String HISTORY_HEADER = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,"
            + "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,"
            + "Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,"
            + "Total Average Content Size";
    public static final String FAILURES_HEADER = "Method,Name,Error,Occurrences";
    public static final String EXCEPTIONS_HEADER = "Count,Message,Traceback,Nodes";

    private final String prefix;
    private final boolean fullHistory;

    /** Creates the folders of the prefix and writes the history header. */
    public CsvFiles(String prefix, boolean fullHistory) {
        this.prefix = prefix;
        this.fullHistory = fullHistory;
        try {
            Path parent = Path.of(prefix + "_stats.csv").toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(Path.of(prefix + "_stats_history.csv"), HISTORY_HEADER + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write CSV files at " + prefix + ": " + e.getMessage(), e);
        }
    }

    /** Rewrites the snapshot files and appends a history row. */
    public void update(StatsSnapshot s) {
        rewrite(s);
        StringBuilder rows = new StringBuilder();
        long ts = s.epochMillis() / 1000;
        if (fullHistory) {
            for (EndpointStats e : s.endpoints()) {
                historyRow(rows, ts, s.users(), e.endpoint().method(), e.endpoint().name(), e, e);
            }
        }
        historyRow(rows, ts, s.users(), "", "Aggregated", s.total(), s.total());
        try {
            Files.writeString(Path.of(prefix + "_stats_history.csv"), rows, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The final rewrite (Locust forgets it; we don't). */
    public void rewrite(StatsSnapshot s) {
        write("_stats.csv", stats(s));
        write("_failures.csv", failures(s));
        write("_exceptions.csv", exceptions(s));
    }

    /** Locust's exceptions file: one row per message; no traceback (there is no stack to show), node "local". */
    public static String exceptions(StatsSnapshot s) {
        StringBuilder b = new StringBuilder(EXCEPTIONS_HEADER).append('\n');
        s.exceptions().forEach((m, n) -> b.append(n).append(',').append(quote(m)).append(",,local\n"));
        return b.toString();
    }

    public static String stats(StatsSnapshot s) {
        StringBuilder b = new StringBuilder(STATS_HEADER).append('\n');
        for (EndpointStats e : s.endpoints()) {
            statsRow(b, e.endpoint().method(), e.endpoint().name(), e, s);
        }
        statsRow(b, "", "Aggregated", s.total(), s);
        return b.toString();
    }

    public static String failures(StatsSnapshot s) {
        StringBuilder b = new StringBuilder(FAILURES_HEADER).append('\n');
        for (Map.Entry<ErrorKey, Long> e : s.errors().entrySet()) {
            b.append(quote(e.getKey().method())).append(',').append(quote(e.getKey().name())).append(',')
                    .append(quote(e.getKey().error())).append(',').append(e.getValue()).append('\n');
        }
        return b.toString();
    }

    private static void statsRow(StringBuilder b, String type, String name, EndpointStats e, StatsSnapshot s) {
        b.append(quote(type)).append(',').append(quote(name)).append(',').append(e.requests()).append(',')
                .append(e.failures()).append(',').append(e.requests() == 0 ? "0" : String.valueOf(Math.round(e.percentileMs(50))))
                .append(',').append(num(e.meanMs())).append(',').append(num(e.minMs())).append(',').append(num(e.maxMs()))
                .append(',').append(num(e.avgContentSize())).append(',').append(num(s.rps(e))).append(',')
                .append(num(s.failuresPerSecond(e)));
        for (double p : ConsoleTable.PERCENTILES) {
            b.append(',').append(e.requests() == 0 ? "N/A" : String.valueOf(Math.round(e.percentileMs(p))));
        }
        b.append('\n');
    }

    private static void historyRow(StringBuilder b, long ts, int users, String type, String name, EndpointStats e,
                                   EndpointStats total) {
        b.append(ts).append(',').append(users).append(',').append(quote(type)).append(',').append(quote(name)).append(',')
                .append(num(e.currentRps())).append(',').append(num(e.currentFailuresPerSecond()));
        for (double p : ConsoleTable.PERCENTILES) {
            b.append(',').append(e.requests() == 0 ? "N/A" : String.valueOf(Math.round(e.percentileMs(p))));
        }
        b.append(',').append(total.requests()).append(',').append(total.failures()).append(',')
                .append(total.requests() == 0 ? "0" : String.valueOf(Math.round(total.percentileMs(50)))).append(',')
                .append(num(total.meanMs())).append(',').append(num(total.minMs())).append(',').append(num(total.maxMs()))
                .append(',').append(num(total.avgContentSize())).append('\n');
    }

    private void write(String suffix, String content) {
        Path target = Path.of(prefix + suffix);
        Path tmp = Path.of(prefix + suffix + ".tmp");
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.valueOf(v);
    }

    /** Quotes a CSV field when it needs it (commas, quotes, line breaks), as Python's csv module. */
    static String quote(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
