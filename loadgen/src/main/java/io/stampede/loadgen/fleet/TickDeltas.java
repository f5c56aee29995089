package io.stampede.loadgen.fleet;

import io.stampede.loadgen.stats.Endpoint;
import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.ErrorKey;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * A worker process's side of the statistics: each snapshot of its run minus the one before, so
 * the parent adds up intervals. The run never resets here (the parent keeps the warm-up and the
 * Reset button), so every count only grows and each difference is exactly what was recorded in
 * between.
 */
final class TickDeltas {
    private final Map<Endpoint, EndpointStats> endpoints = new HashMap<>();
    private final Map<ErrorKey, Long> errors = new HashMap<>();
    private final Map<String, Long> exceptions = new HashMap<>();
    private long dropped;
    private Histogram handshakes;
    private long resumed;

    record Delta(List<Wire.EndpointDelta> endpoints, Map<ErrorKey, Long> errors, Map<String, Long> exceptions, long dropped,
                 Histogram handshakes, long resumed) {}

    Delta next(StatsSnapshot s) {
        List<Wire.EndpointDelta> eps = new ArrayList<>();
        for (EndpointStats e : s.endpoints()) {
            EndpointStats before = endpoints.put(e.endpoint(), e);
            Histogram latency = minus(e.latency(), before == null ? null : before.latency());
            Histogram service = minus(e.service(), before == null ? null : before.service());
            long failures = e.failures() - (before == null ? 0 : before.failures());
            long bytes = e.bytes() - (before == null ? 0 : before.bytes());
            if (latency.getTotalCount() > 0 || failures != 0 || bytes != 0) {
                eps.add(new Wire.EndpointDelta(e.endpoint(), latency, service, failures, bytes));
            }
        }
        Map<ErrorKey, Long> newErrors = grown(s.errors(), errors);
        Map<String, Long> newExceptions = grown(s.exceptions(), exceptions);
        long newDropped = s.dropped() - dropped;
        dropped = s.dropped();
        Histogram hs = minus(s.handshakes().time(), handshakes);
        handshakes = s.handshakes().time().copy();
        long newResumed = s.handshakes().resumed() - resumed;
        resumed = s.handshakes().resumed();
        return new Delta(eps, newErrors, newExceptions, newDropped, hs, newResumed);
    }

    /** What each count gained since {@code seen}, which then takes the counts now. */
    private static <K> Map<K, Long> grown(Map<K, Long> now, Map<K, Long> seen) {
        Map<K, Long> gained = new LinkedHashMap<>();
        now.forEach((k, v) -> {
            long d = v - seen.getOrDefault(k, 0L);
            if (d != 0) {
                gained.put(k, d);
            }
            seen.put(k, v);
        });
        return gained;
    }

    private static Histogram minus(Histogram now, Histogram before) {
        Histogram d = now.copy();
        if (before != null) {
            d.subtract(before);
        }
        return d;
    }
}
