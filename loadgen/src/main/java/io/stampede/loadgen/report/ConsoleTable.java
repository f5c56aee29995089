package io.stampede.loadgen.report;

import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.ErrorKey;
import io.stampede.loadgen.stats.Handshakes;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Locust's console tables: the request statistics, the percentile table and the error report. */
public final class ConsoleTable {
    static final double[] PERCENTILES = {50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100};
    private static final String ROW = "%-8s %-78s %7d %12s | %7d %7d %7d %7d | %7.2f %11.2f%n";
    private static final String RULE = "--------|" + "-".repeat(78) + "|-------|-------------|-------|-------|-------|-------|--------|-----------";

    private ConsoleTable() {}

    /** The end of a run: the whole-run table, percentiles, service times, failures, exceptions, drops. */
    public static void printEnd(java.io.PrintWriter out, StatsSnapshot last) {
        out.println(summary(last));
        out.println(percentiles(last));
        out.println(serviceTimes(last));
        if (!last.errors().isEmpty()) {
            out.println(errors(last));
        }
        if (!last.exceptions().isEmpty()) {
            out.println(exceptions(last));
        }
        if (last.handshakes().count() > 0) {
            out.println(handshakes(last.handshakes()));
        }
        if (last.dropped() > 0) {
            out.printf("Dropped arrivals: %d (no free user when due; raise -u)%n", last.dropped());
        }
    }

    /** The generator's own health, last: a reader must know when the latencies include its delay. */
    public static String generatorLine(GeneratorHealth health) {
        return String.format("Generator: CPU %.0f%% (peak %.0f%%), event-loop lag up to %.1f ms, GC %d ms%s", health.cpu() * 100,
                health.peakCpu() * 100, health.maxLagMs(), health.gcTotalMillis(),
                health.saturated() ? " -- SATURATED: latencies include the generator's own delay" : "");
    }

    public static String stats(StatsSnapshot s) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-8s %-78s %7s %12s | %7s %7s %7s %7s | %7s %11s%n", "Type", "Name", "# reqs",
                "# fails", "Avg", "Min", "Max", "Med", "req/s", "failures/s"));
        b.append(RULE).append('\n');
        for (EndpointStats e : s.endpoints()) {
            row(b, e.endpoint().method(), e.endpoint().name(), e);
        }
        b.append(RULE).append('\n');
        row(b, "", "Aggregated", s.total());
        if (s.dropped() > 0) {
            b.append(String.format(Locale.ROOT, "%-8s %-78s %7d (open model: arrivals with no free user)%n", "", "Dropped", s.dropped()));
        }
        return b.toString();
    }

    private static void row(StringBuilder b, String method, String name, EndpointStats e) {
        String fails = String.format(Locale.ROOT, "%d(%.2f%%)", e.failures(), e.failRatio() * 100);
        b.append(String.format(Locale.ROOT, ROW, method, truncate(name, 78), e.requests(), fails,
                Math.round(e.meanMs()), Math.round(e.minMs()), Math.round(e.maxMs()),
                e.requests() == 0 ? 0 : Math.round(e.percentileMs(50)), e.currentRps(), e.currentFailuresPerSecond()));
    }

    /** The end-of-run table uses whole-run rates instead of the last 10 seconds'. */
    public static String summary(StatsSnapshot s) {
        List<EndpointStats> rows = new ArrayList<>();
        for (EndpointStats e : s.endpoints()) {
            rows.add(withRunRates(s, e));
        }
        StatsSnapshot whole = new StatsSnapshot(s.epochMillis(), s.elapsedSeconds(), s.users(), rows, withRunRates(s, s.total()),
                s.errors(), s.exceptions(), s.dropped(), s.interval(), s.intervalTotal(), s.handshakes());
        return stats(whole);
    }

    private static EndpointStats withRunRates(StatsSnapshot s, EndpointStats e) {
        return new EndpointStats(e.endpoint(), e.requests(), e.failures(), e.bytes(), e.latency(), e.service(), s.rps(e),
                s.failuresPerSecond(e));
    }

    public static String percentiles(StatsSnapshot s) {
        StringBuilder b = new StringBuilder("Response time percentiles (ms, from the intended start; HdrHistogram, not rounded)\n");
        b.append(String.format(Locale.ROOT, "%-8s %-70s", "Type", "Name"));
        for (double p : PERCENTILES) {
            b.append(String.format(Locale.ROOT, " %6s", label(p)));
        }
        b.append(String.format(Locale.ROOT, " %7s%n", "# reqs"));
        b.append("--------|").append("-".repeat(70)).append("-".repeat(7 * PERCENTILES.length)).append("|-------\n");
        for (EndpointStats e : s.endpoints()) {
            pctRow(b, e.endpoint().method(), e.endpoint().name(), e);
        }
        b.append("--------|").append("-".repeat(70)).append("-".repeat(7 * PERCENTILES.length)).append("|-------\n");
        pctRow(b, "", "Aggregated", s.total());
        return b.toString();
    }

    private static void pctRow(StringBuilder b, String method, String name, EndpointStats e) {
        b.append(String.format(Locale.ROOT, "%-8s %-70s", method, truncate(name, 70)));
        for (double p : PERCENTILES) {
            b.append(String.format(Locale.ROOT, " %6s", e.requests() == 0 ? "N/A" : ms(e.percentileMs(p))));
        }
        b.append(String.format(Locale.ROOT, " %7d%n", e.requests()));
    }

    /** Service time (from the actual send) beside latency (from the intended start), per endpoint. */
    public static String serviceTimes(StatsSnapshot s) {
        StringBuilder b = new StringBuilder("Latency (from the intended start) vs service time (from the send), ms\n");
        b.append(String.format(Locale.ROOT, "%-8s %-60s %9s %9s %9s %9s %9s %9s%n", "Type", "Name", "lat p50", "svc p50",
                "lat p99", "svc p99", "lat max", "svc max"));
        for (EndpointStats e : s.endpoints()) {
            serviceRow(b, e.endpoint().method(), e.endpoint().name(), e);
        }
        serviceRow(b, "", "Aggregated", s.total());
        return b.toString();
    }

    private static void serviceRow(StringBuilder b, String method, String name, EndpointStats e) {
        if (e.requests() == 0) {
            return;
        }
        b.append(String.format(Locale.ROOT, "%-8s %-60s %9s %9s %9s %9s %9s %9s%n", method, truncate(name, 60),
                ms(e.percentileMs(50)), ms(e.servicePercentileMs(50)), ms(e.percentileMs(99)), ms(e.servicePercentileMs(99)),
                ms(e.maxMs()), ms(e.servicePercentileMs(100))));
    }

    public static String errors(StatsSnapshot s) {
        StringBuilder b = new StringBuilder("Error report\n");
        b.append(String.format(Locale.ROOT, "%-18s %s%n", "# occurrences", "Error"));
        b.append("-".repeat(120)).append('\n');
        for (Map.Entry<ErrorKey, Long> e : s.errors().entrySet()) {
            b.append(String.format(Locale.ROOT, "%-18d %s %s: %s%n", e.getValue(), e.getKey().method(), e.getKey().name(),
                    e.getKey().error()));
        }
        b.append("-".repeat(120)).append('\n');
        return b.toString();
    }

    /** One line on the run's TLS handshakes. */
    public static String handshakes(Handshakes h) {
        return String.format(Locale.ROOT, "TLS handshakes: %d (%d resumed), time p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
                h.count(), h.resumed(), h.percentileMs(50), h.percentileMs(90), h.percentileMs(99), h.maxMs());
    }

    public static String exceptions(StatsSnapshot s) {
        StringBuilder b = new StringBuilder("Exceptions (tasks abandoned; not counted as requests)\n");
        b.append(String.format(Locale.ROOT, "%-18s %s%n", "# occurrences", "Message"));
        b.append("-".repeat(120)).append('\n');
        s.exceptions().forEach((m, n) -> b.append(String.format(Locale.ROOT, "%-18d %s%n", n, m)));
        b.append("-".repeat(120)).append('\n');
        return b.toString();
    }

    static String label(double p) {
        if (p == Math.rint(p)) {
            return (long) p + "%";
        }
        return String.valueOf(p) + "%";
    }

    /** Milliseconds with the precision they have: 0.42, 3.1, 120. */
    static String ms(double v) {
        if (v < 10) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        if (v < 100) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.valueOf(Math.round(v));
    }

    private static String truncate(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 3) + "...";
    }
}
