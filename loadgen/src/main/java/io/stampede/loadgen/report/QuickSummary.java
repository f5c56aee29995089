package io.stampede.loadgen.report;

import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.util.Locale;
import java.util.Map;

/** Quick mode's wrk-like summary, with latency from the intended start beside service time. */
public final class QuickSummary {
    private QuickSummary() {}

    public static String render(String url, int connections, StatsSnapshot s, boolean open) {
        EndpointStats t = s.total();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Ran %.2fs @ %s%n  %d connections%s%n", s.elapsedSeconds(), url, connections,
                open ? ", open model (latency from each request's scheduled start)" : ""));
        b.append(String.format(Locale.ROOT, "  %-10s %10s %10s %10s %10s%n", "", "Avg", "Stdev", "Max", "p99"));
        b.append(line("Latency", t.latency().getMean(), t.latency().getStdDeviation(), t.latency().getMaxValue(),
                t.requests() == 0 ? 0 : t.latency().getValueAtPercentile(99)));
        b.append(line("Service", t.service().getMean(), t.service().getStdDeviation(), t.service().getMaxValue(),
                t.requests() == 0 ? 0 : t.service().getValueAtPercentile(99)));
        b.append("  Latency Distribution (from the intended start)\n");
        for (double p : new double[] {50, 75, 90, 99, 99.9, 99.99}) {
            b.append(String.format(Locale.ROOT, "  %7s %10s%n", ConsoleTable.label(p),
                    t.requests() == 0 ? "N/A" : us(t.latency().getValueAtPercentile(p))));
        }
        b.append(String.format(Locale.ROOT, "  %d requests in %.2fs, %.2f MB read%n", t.requests(), s.elapsedSeconds(),
                t.bytes() / 1e6));
        if (t.failures() > 0) {
            b.append(String.format(Locale.ROOT, "  Failed requests: %d%n", t.failures()));
            for (Map.Entry<io.stampede.loadgen.stats.ErrorKey, Long> e : s.errors().entrySet()) {
                b.append(String.format(Locale.ROOT, "    %d x %s%n", e.getValue(), e.getKey().error()));
            }
        }
        if (s.dropped() > 0) {
            b.append(String.format(Locale.ROOT, "  Dropped (no free connection when due): %d%n", s.dropped()));
        }
        b.append(String.format(Locale.ROOT, "Requests/sec: %10.2f%n", s.rps()));
        b.append(String.format(Locale.ROOT, "Transfer/sec: %10.2f MB%n", s.elapsedSeconds() <= 0 ? 0 : t.bytes() / 1e6 / s.elapsedSeconds()));
        if (s.handshakes().count() > 0) {
            b.append(ConsoleTable.handshakes(s.handshakes())).append(System.lineSeparator());
        }
        return b.toString();
    }

    private static String line(String label, double mean, double sd, long max, long p99) {
        return String.format(Locale.ROOT, "  %-10s %10s %10s %10s %10s%n", label, us(mean), us(sd), us(max), us(p99));
    }

    /** Microseconds as wrk shows them: 812.00us, 3.21ms, 1.20s. */
    static String us(double micros) {
        if (micros < 1000) {
            return String.format(Locale.ROOT, "%.2fus", micros);
        }
        if (micros < 1_000_000) {
            return String.format(Locale.ROOT, "%.2fms", micros / 1000);
        }
        return String.format(Locale.ROOT, "%.2fs", micros / 1e6);
    }
}
