package io.stampede.loadgen.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.ErrorKey;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The machine-readable summary ({@code --json FILE}). */
public final class JsonSummary {
    private JsonSummary() {}

    public static Map<String, Object> of(String mode, StatsSnapshot s, int users, GeneratorHealth health) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mode", mode);
        out.put("duration_s", round(s.elapsedSeconds()));
        out.put("users", users);
        out.put("requests", s.total().requests());
        out.put("failures", s.total().failures());
        out.put("dropped", s.dropped());
        out.put("rps", round(s.rps()));
        out.put("fail_ratio", round(s.total().failRatio()));
        out.put("latency_ms", latency(s.total(), false));
        out.put("service_ms", latency(s.total(), true));
        List<Map<String, Object>> endpoints = new ArrayList<>();
        for (EndpointStats e : s.endpoints()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", e.endpoint().method());
            m.put("name", e.endpoint().name());
            m.put("requests", e.requests());
            m.put("failures", e.failures());
            m.put("rps", round(s.rps(e)));
            m.put("latency_ms", latency(e, false));
            m.put("service_ms", latency(e, true));
            endpoints.add(m);
        }
        out.put("endpoints", endpoints);
        out.put("errors", errors(s));
        List<Map<String, Object>> exceptions = new ArrayList<>();
        s.exceptions().forEach((message, count) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("message", message);
            m.put("count", count);
            exceptions.add(m);
        });
        out.put("exceptions", exceptions);
        Map<String, Object> gen = new LinkedHashMap<>();
        gen.put("cpu", round(health.cpu()));
        gen.put("peak_cpu", round(health.peakCpu()));
        gen.put("max_lag_ms", round(health.maxLagMs()));
        gen.put("gc_ms", health.gcTotalMillis());
        gen.put("saturated", health.saturated());
        out.put("generator", gen);
        return out;
    }

    public static void write(Path file, Map<String, Object> summary) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), summary);
    }

    private static Map<String, Object> latency(EndpointStats e, boolean service) {
        Map<String, Object> m = new LinkedHashMap<>();
        var h = service ? e.service() : e.latency();
        boolean empty = h.getTotalCount() == 0;
        m.put("min", empty ? 0 : round(h.getMinValue() / 1000.0));
        m.put("mean", empty ? 0 : round(h.getMean() / 1000.0));
        for (double[] p : new double[][] {{50, 0}, {90, 0}, {95, 0}, {99, 0}, {99.9, 0}}) {
            String key = p[0] == 99.9 ? "p999" : "p" + (int) p[0];
            m.put(key, empty ? 0 : round(h.getValueAtPercentile(p[0]) / 1000.0));
        }
        m.put("max", empty ? 0 : round(h.getMaxValue() / 1000.0));
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** The failures as Locust's web API lists them: method, name, error, occurrences. */
    public static List<Map<String, Object>> errors(StatsSnapshot s) {
        List<Map<String, Object>> errors = new ArrayList<>();
        for (Map.Entry<ErrorKey, Long> e : s.errors().entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", e.getKey().method());
            m.put("name", e.getKey().name());
            m.put("error", e.getKey().error());
            m.put("occurrences", e.getValue());
            errors.add(m);
        }
        return errors;
    }
}
