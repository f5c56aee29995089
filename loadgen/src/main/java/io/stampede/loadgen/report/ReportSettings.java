package io.stampede.loadgen.report;

import io.stampede.common.Durations;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The settings table at the top of an HTML report, built the same way for headless and web runs. */
public final class ReportSettings {
    private ReportSettings() {}

    /**
     * @param model e.g. "closed model" or "open model, arrivals 20.0/s"
     * @param users the users line, e.g. "64 (spawned at 8.0/s)"
     * @param started when the run started, or null not to show it
     * @param runTime the planned run time, or null when it runs until stopped
     */
    public static Map<String, String> of(String target, String scenario, String model, String users, Instant started,
                                         Duration runTime, StatsSnapshot measured, GeneratorHealth health) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("target", target);
        m.put("scenario", scenario);
        m.put("model", model);
        m.put("users", users);
        if (started != null) {
            m.put("started", started.toString());
        }
        m.put("run time", runTime == null ? "until stopped" : Durations.format(runTime));
        m.put("measured", String.format(Locale.ROOT, "%.1f s, %d requests, %d failures", measured.elapsedSeconds(),
                measured.total().requests(), measured.total().failures()));
        m.put("generator", String.format(Locale.ROOT, "CPU %.0f%% (peak %.0f%%), loop lag up to %.1f ms%s",
                health.cpu() * 100, health.peakCpu() * 100, health.maxLagMs(), health.saturated() ? ", SATURATED" : ""));
        return m;
    }
}
