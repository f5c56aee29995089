package io.stampede.loadgen.compare;

import io.stampede.common.wire.SwarmSummary;
import io.stampede.common.wire.SwarmSummary.Percentiles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Two swarm runs side by side ({@code --json} summaries): per endpoint and in total, the request
 * rate, failure ratio and latency percentiles before and after, and which changes are
 * regressions: a percentile up or the rate down by more than {@code tolerance}, or the failure
 * ratio up by more than a tenth of a percentage point.
 */
public final class Comparison {
    /** What is compared of one endpoint (or the total) in one run. */
    public record Side(long requests, long failures, double rps, Percentiles latency) {
        public double failRatio() {
            return SwarmSummary.failRatio(requests, failures);
        }
    }

    /** One endpoint (or the total) in both runs; null sides when it exists in only one. */
    public record Row(String name, Side before, Side after, List<String> regressions) {}

    private Comparison() {}

    public static List<Row> compare(SwarmSummary before, SwarmSummary after, double tolerance) {
        return compare(sides(before), sides(after), tolerance);
    }

    /** Two runs' rows by name (Aggregated first, then the endpoints), in the order first seen. */
    public static List<Row> compare(Map<String, Side> before, Map<String, Side> after, double tolerance) {
        Map<String, Side[]> rows = new LinkedHashMap<>();
        before.forEach((name, side) -> rows.computeIfAbsent(name, k -> new Side[2])[0] = side);
        after.forEach((name, side) -> rows.computeIfAbsent(name, k -> new Side[2])[1] = side);
        List<Row> out = new ArrayList<>();
        rows.forEach((name, pair) -> out.add(new Row(name, pair[0], pair[1], regressions(pair[0], pair[1], tolerance))));
        return out;
    }

    /** A swarm summary's rows: Aggregated, then each endpoint as "METHOD name". */
    public static Map<String, Side> sides(SwarmSummary s) {
        Map<String, Side> out = new LinkedHashMap<>();
        out.put("Aggregated", total(s));
        for (SwarmSummary.Endpoint e : s.endpoints()) {
            out.put(key(e), side(e));
        }
        return out;
    }

    private static Side total(SwarmSummary s) {
        return new Side(s.requests(), s.failures(), s.rps(), s.latencyMs());
    }

    private static Side side(SwarmSummary.Endpoint e) {
        return new Side(e.requests(), e.failures(), e.rps(), e.latencyMs());
    }

    private static String key(SwarmSummary.Endpoint e) {
        return e.method() + " " + e.name();
    }

    private static List<String> regressions(Side a, Side b, double tolerance) {
        List<String> out = new ArrayList<>();
        if (a == null || b == null) {
            return out;
        }
        double[][] percentiles = {{a.latency().p50(), b.latency().p50()}, {a.latency().p95(), b.latency().p95()},
            {a.latency().p99(), b.latency().p99()}};
        String[] names = {"p50", "p95", "p99"};
        for (int i = 0; i < names.length; i++) {
            double x = percentiles[i][0];
            double y = percentiles[i][1];
            if (x > 0 && y > x * (1 + tolerance)) {
                out.add(String.format(Locale.ROOT, "%s %+.0f%%", names[i], (y / x - 1) * 100));
            }
        }
        if (a.rps() > 0 && b.rps() < a.rps() * (1 - tolerance)) {
            out.add(String.format(Locale.ROOT, "req/s %+.0f%%", (b.rps() / a.rps() - 1) * 100));
        }
        if (b.failRatio() > a.failRatio() + 0.001) {
            out.add(String.format(Locale.ROOT, "failures %.2f%% -> %.2f%%", a.failRatio() * 100, b.failRatio() * 100));
        }
        return out;
    }
}
