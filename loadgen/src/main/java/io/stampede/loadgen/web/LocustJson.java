package io.stampede.loadgen.web;

import io.stampede.common.wire.SwarmSummary;
import io.stampede.loadgen.report.HtmlReport;
import io.stampede.loadgen.report.JsonSummary;
import io.stampede.loadgen.scenario.Scenario;
import io.stampede.loadgen.scenario.Task;
import io.stampede.loadgen.scenario.UserClass;
import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON of Locust's web API, key for key, so scripts and dashboards written for Locust read
 * ours: {@code /stats/requests}, {@code /exceptions} and {@code /tasks}. Times in milliseconds.
 */
final class LocustJson {
    private LocustJson() {}

    /** {@code GET /stats/requests}; {@code s} is null before the first run. */
    static Map<String, Object> requests(StatsSnapshot s, String state, int users) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Map<String, Object>> stats = new ArrayList<>();
        List<SwarmSummary.ErrorCount> errors = s == null ? List.of() : JsonSummary.errors(s);
        if (s != null) {
            for (EndpointStats e : s.endpoints()) {
                stats.add(entry(e, e.endpoint().method(), e.endpoint().name(), s));
            }
            stats.add(entry(s.total(), "", "Aggregated", s));
        }
        if (s == null) {
            // Locust lists its total row even before anything ran.
            Map<String, Object> zero = new LinkedHashMap<>();
            for (String k : List.of("method", "name", "safe_name")) {
                zero.put(k, k.equals("method") ? "" : "Aggregated");
            }
            for (String k : List.of("num_requests", "num_failures", "avg_response_time", "min_response_time", "max_response_time",
                    "current_rps", "current_fail_per_sec", "median_response_time", "ninetieth_response_time",
                    "ninety_ninth_response_time", "response_time_percentile_0.95", "response_time_percentile_0.99",
                    "avg_content_length", "total_rps")) {
                Object v = 0.0; // the minimum of nothing is null, as Locust's
                if (k.startsWith("num_")) {
                    v = 0;
                } else if (k.equals("min_response_time")) {
                    v = null;
                }
                zero.put(k, v);
            }
            stats.add(zero);
        }
        m.put("stats", stats);
        m.put("errors", errors);
        m.put("total_rps", s == null ? 0.0 : round(s.total().currentRps()));
        m.put("total_fail_per_sec", s == null ? 0.0 : round(s.total().currentFailuresPerSecond()));
        m.put("fail_ratio", s == null ? 0.0 : s.total().failRatio());
        m.put("current_response_time_percentile_50", s == null ? 0.0 : percentile(s.intervalTotal(), 50));
        m.put("current_response_time_percentile_95", s == null ? 0.0 : percentile(s.intervalTotal(), 95));
        m.put("state", state);
        m.put("user_count", users);
        return m;
    }

    private static Map<String, Object> entry(EndpointStats e, String method, String name, StatsSnapshot s) {
        Map<String, Object> m = new LinkedHashMap<>();
        boolean any = e.requests() > 0;
        m.put("method", method);
        m.put("name", name);
        m.put("safe_name", HtmlReport.esc(name));
        m.put("num_requests", e.requests());
        m.put("num_failures", e.failures());
        m.put("avg_response_time", round(e.meanMs()));
        m.put("min_response_time", any ? round(e.minMs()) : null);
        m.put("max_response_time", round(e.maxMs()));
        m.put("current_rps", round(e.currentRps()));
        m.put("current_fail_per_sec", round(e.currentFailuresPerSecond()));
        // Percentiles of nothing are 0, as Locust gives them; the minimum of nothing is null, as Locust's.
        m.put("median_response_time", any ? round(e.percentileMs(50)) : 0.0);
        m.put("ninetieth_response_time", any ? round(e.percentileMs(90)) : 0.0);
        m.put("ninety_ninth_response_time", any ? round(e.percentileMs(99)) : 0.0);
        m.put("response_time_percentile_0.95", any ? round(e.percentileMs(95)) : 0.0);
        m.put("response_time_percentile_0.99", any ? round(e.percentileMs(99)) : 0.0);
        m.put("avg_content_length", round(e.avgContentSize()));
        // Ours: the whole run's rate, and service time (from the send) beside latency (from the intended start).
        m.put("total_rps", round(s.rps(e)));
        m.put("service_median_response_time", any ? round(e.servicePercentileMs(50)) : null);
        m.put("service_ninety_ninth_response_time", any ? round(e.servicePercentileMs(99)) : null);
        return m;
    }

    /** {@code GET /exceptions}: Locust's list (no traceback: a scenario has no stack to show). */
    static Map<String, Object> exceptions(StatsSnapshot s) {
        List<Map<String, Object>> list = new ArrayList<>();
        if (s != null) {
            s.exceptions().forEach((msg, count) -> {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("count", count);
                e.put("msg", msg);
                e.put("traceback", "");
                e.put("nodes", "local");
                list.add(e);
            });
        }
        return Map.of("exceptions", list);
    }

    /** {@code GET /tasks}: each class's share of the users and each task's share of its class, then of all. */
    static Map<String, Object> tasks(Scenario scenario) {
        Map<String, Object> perClass = new LinkedHashMap<>();
        Map<String, Object> total = new LinkedHashMap<>();
        double classWeights = scenario.users().stream().mapToInt(UserClass::weight).sum();
        for (UserClass c : scenario.users()) {
            double share = c.weight() / classWeights;
            double taskWeights = c.tasks().stream().mapToInt(Task::weight).sum();
            Map<String, Object> own = new LinkedHashMap<>();
            Map<String, Object> all = new LinkedHashMap<>();
            for (Task t : c.tasks()) {
                double ratio = c.sequential() ? 1.0 / c.tasks().size() : t.weight() / taskWeights;
                own.put(t.name(), Map.of("ratio", ratio));
                all.put(t.name(), Map.of("ratio", ratio * share));
            }
            perClass.put(c.name(), Map.of("ratio", share, "tasks", own));
            total.put(c.name(), Map.of("ratio", share, "tasks", all));
        }
        return Map.of("per_class", perClass, "total", total);
    }

    private static Double percentile(org.HdrHistogram.Histogram h, double p) {
        return h == null || h.getTotalCount() == 0 ? 0.0 : round(h.getValueAtPercentile(p) / 1000.0);
    }

    private static double round(double v) {
        return Double.isNaN(v) ? 0 : Math.round(v * 100) / 100.0;
    }
}
