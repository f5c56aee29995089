package io.stampede.loadgen.compare;

import com.fasterxml.jackson.databind.JsonNode;
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
    /** One endpoint (or the total) in both runs; null sides when it exists in only one. */
    public record Row(String name, JsonNode before, JsonNode after, List<String> regressions) {}

    private static final String[] PERCENTILES = {"p50", "p95", "p99"};

    private Comparison() {}

    public static List<Row> compare(JsonNode before, JsonNode after, double tolerance) {
        Map<String, JsonNode[]> rows = new LinkedHashMap<>();
        rows.put("Aggregated", new JsonNode[] {before, after});
        for (JsonNode e : before.path("endpoints")) {
            rows.computeIfAbsent(key(e), k -> new JsonNode[2])[0] = e;
        }
        for (JsonNode e : after.path("endpoints")) {
            rows.computeIfAbsent(key(e), k -> new JsonNode[2])[1] = e;
        }
        List<Row> out = new ArrayList<>();
        rows.forEach((name, pair) -> out.add(new Row(name, pair[0], pair[1], regressions(pair[0], pair[1], tolerance))));
        return out;
    }

    private static String key(JsonNode e) {
        return e.path("method").asText() + " " + e.path("name").asText();
    }

    private static List<String> regressions(JsonNode a, JsonNode b, double tolerance) {
        List<String> out = new ArrayList<>();
        if (a == null || b == null) {
            return out;
        }
        for (String p : PERCENTILES) {
            double x = a.path("latency_ms").path(p).asDouble();
            double y = b.path("latency_ms").path(p).asDouble();
            if (x > 0 && y > x * (1 + tolerance)) {
                out.add(String.format(Locale.ROOT, "%s %+.0f%%", p, (y / x - 1) * 100));
            }
        }
        double ra = a.path("rps").asDouble();
        double rb = b.path("rps").asDouble();
        if (ra > 0 && rb < ra * (1 - tolerance)) {
            out.add(String.format(Locale.ROOT, "req/s %+.0f%%", (rb / ra - 1) * 100));
        }
        double fa = failRatio(a);
        double fb = failRatio(b);
        if (fb > fa + 0.001) {
            out.add(String.format(Locale.ROOT, "failures %.2f%% -> %.2f%%", fa * 100, fb * 100));
        }
        return out;
    }

    static double failRatio(JsonNode n) {
        long requests = n.path("requests").asLong();
        return requests == 0 ? 0 : (double) n.path("failures").asLong() / requests;
    }
}
