package io.stampede.loadgen.report;

import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The run over time, one point per statistics tick, for the HTML report's charts: users, request
 * and failure rates, and latency percentiles of the last interval, overall and per endpoint.
 * Aggregated here, so a chart costs the same at 10 or 10,000 users.
 */
public final class Timeline {
    final List<Long> times = new ArrayList<>();
    final List<Integer> users = new ArrayList<>();
    final List<Double> rps = new ArrayList<>();
    final List<Double> fps = new ArrayList<>();
    final List<Double> p50 = new ArrayList<>();
    final List<Double> p95 = new ArrayList<>();
    final List<Double> p99 = new ArrayList<>();
    /** Per endpoint ("GET /path"): requests per second and p95 ms, aligned with {@link #times} (null before it first appears). */
    final Map<String, List<Double>> endpointRps = new LinkedHashMap<>();
    final Map<String, List<Double>> endpointP95 = new LinkedHashMap<>();

    public synchronized void add(StatsSnapshot s) {
        int index = times.size();
        times.add(s.epochMillis() / 1000);
        users.add(s.users());
        rps.add(round(s.total().currentRps()));
        fps.add(round(s.total().currentFailuresPerSecond()));
        p50.add(percentile(s.intervalTotal(), 50));
        p95.add(percentile(s.intervalTotal(), 95));
        p99.add(percentile(s.intervalTotal(), 99));
        for (EndpointStats e : s.endpoints()) {
            String key = e.endpoint().method() + " " + e.endpoint().name();
            Histogram h = s.interval().get(e.endpoint());
            series(endpointRps, key, index).add(round(e.currentRps()));
            series(endpointP95, key, index).add(h == null ? null : percentile(h, 95));
        }
        for (List<Double> l : endpointRps.values()) {
            while (l.size() <= index) {
                l.add(null);
            }
        }
        for (List<Double> l : endpointP95.values()) {
            while (l.size() <= index) {
                l.add(null);
            }
        }
    }

    private static List<Double> series(Map<String, List<Double>> all, String key, int index) {
        List<Double> l = all.computeIfAbsent(key, k -> new ArrayList<>());
        while (l.size() < index) {
            l.add(null);
        }
        return l;
    }

    private static Double percentile(Histogram h, double p) {
        return h == null || h.getTotalCount() == 0 ? null : round(h.getValueAtPercentile(p) / 1000.0);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** Every series, as the charts read them: {@code t}, {@code users}, {@code rps}, ..., {@code endpointRps}, {@code endpointP95}. */
    public synchronized Map<String, Object> toMap() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("t", List.copyOf(times));
        d.put("users", List.copyOf(users));
        d.put("rps", new ArrayList<>(rps));
        d.put("fps", new ArrayList<>(fps));
        d.put("p50", new ArrayList<>(p50));
        d.put("p95", new ArrayList<>(p95));
        d.put("p99", new ArrayList<>(p99));
        d.put("endpointRps", copy(endpointRps));
        d.put("endpointP95", copy(endpointP95));
        return d;
    }

    /** The last point alone, in the same shape with one value per series (for a live page to append). */
    public synchronized Map<String, Object> lastPoint() {
        if (times.isEmpty()) {
            return null;
        }
        int i = times.size() - 1;
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("t", times.get(i));
        d.put("users", users.get(i));
        d.put("rps", rps.get(i));
        d.put("fps", fps.get(i));
        d.put("p50", p50.get(i));
        d.put("p95", p95.get(i));
        d.put("p99", p99.get(i));
        Map<String, Double> epRps = new LinkedHashMap<>();
        endpointRps.forEach((k, v) -> epRps.put(k, v.get(i)));
        Map<String, Double> epP95 = new LinkedHashMap<>();
        endpointP95.forEach((k, v) -> epP95.put(k, v.get(i)));
        d.put("endpointRps", epRps);
        d.put("endpointP95", epP95);
        return d;
    }

    private static Map<String, List<Double>> copy(Map<String, List<Double>> m) {
        Map<String, List<Double>> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, new ArrayList<>(v)));
        return out;
    }

    public synchronized int size() {
        return times.size();
    }
}
