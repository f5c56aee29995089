package io.stampede.loadgen.locust;

import io.stampede.loadgen.stats.Endpoint;
import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.ErrorKey;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Locust's {@code stats} report, built from the run's ticks: what happened since the last report
 * (the master adds the deltas up), per endpoint and in total, with response times in Locust's
 * buckets (exact below 100 ms, then two significant digits), requests and failures per epoch
 * second, and the errors by Locust's key. Requests and times come from the same interval
 * HdrHistograms as our own tables, so the master's counts equal the worker's exactly.
 */
final class LocustStats {
    private static final long[] ZERO = new long[3];

    private final double startTime;
    private final Map<Endpoint, Entry> pending = new LinkedHashMap<>();
    private Entry total = new Entry(Endpoint.AGGREGATED);
    private final Map<Endpoint, long[]> previous = new HashMap<>();
    private long[] previousTotal = ZERO;
    private final Map<ErrorKey, Long> previousErrors = new HashMap<>();
    private final Map<ErrorKey, Long> pendingErrors = new LinkedHashMap<>();

    /** @param startTime the run's start, epoch seconds */
    LocustStats(double startTime) {
        this.startTime = startTime;
    }

    /** A tick's snapshot: what changed since the one before goes into the next report. */
    void add(StatsSnapshot s) {
        long second = s.epochMillis() / 1000;
        for (EndpointStats e : s.endpoints()) {
            long[] now = {e.requests(), e.failures(), e.bytes()};
            long[] before = previous.getOrDefault(e.endpoint(), ZERO);
            previous.put(e.endpoint(), now);
            if (now[0] != before[0] || now[1] != before[1]) {
                pending.computeIfAbsent(e.endpoint(), Entry::new)
                        .add(now[0] - before[0], now[1] - before[1], now[2] - before[2], s.interval().get(e.endpoint()), second);
            }
        }
        EndpointStats t = s.total();
        long[] now = {t.requests(), t.failures(), t.bytes()};
        if (now[0] != previousTotal[0] || now[1] != previousTotal[1]) {
            total.add(now[0] - previousTotal[0], now[1] - previousTotal[1], now[2] - previousTotal[2], s.intervalTotal(), second);
        }
        previousTotal = now;
        s.errors().forEach((key, count) -> {
            long delta = count - previousErrors.getOrDefault(key, 0L);
            previousErrors.put(key, count);
            if (delta > 0) {
                pendingErrors.merge(key, delta, Long::sum);
            }
        });
    }

    /** The report's data (all five keys the master reads), and a fresh start for the next. */
    Map<String, Object> report(Map<String, Integer> userClasses, int users) {
        List<Object> entries = new ArrayList<>();
        pending.values().forEach(e -> entries.add(e.toMap(startTime)));
        Map<String, Object> errors = new LinkedHashMap<>();
        pendingErrors.forEach((k, n) -> {
            Map<String, Object> err = new LinkedHashMap<>();
            err.put("name", k.name());
            err.put("method", k.method());
            err.put("error", k.error());
            err.put("occurrences", n);
            errors.put(errorKey(k), err);
        });
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("stats", entries);
        data.put("stats_total", total.toMap(startTime));
        data.put("errors", errors);
        data.put("user_classes_count", new LinkedHashMap<>(userClasses));
        data.put("user_count", users);
        pending.clear();
        pendingErrors.clear();
        total = new Entry(Endpoint.AGGREGATED);
        return data;
    }

    /** Locust's bucket for a response time in ms: exact below 100, then 2 significant digits (round half to even, as Python). */
    static long bucket(double ms) {
        if (ms < 100) {
            return (long) Math.rint(ms);
        }
        double unit = ms < 1000 ? 10 : ms < 10_000 ? 100 : 1000;
        return (long) (Math.rint(ms / unit) * unit);
    }

    /** Locust's key for an error: the SHA-256 of "method.name.error" (its own uses the error's repr; the master only merges by it). */
    static String errorKey(ErrorKey k) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest((k.method() + "." + k.name() + "." + k.error()).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** One endpoint's (or the total's) deltas, as Locust's StatsEntry serializes them. */
    private static final class Entry {
        final Endpoint endpoint;
        long requests;
        long failures;
        long contentLength;
        double totalResponseTime;
        double max;
        Double min;
        double lastRequest;
        final Map<Long, Long> responseTimes = new TreeMap<>();
        final Map<Long, Long> perSecond = new TreeMap<>();
        final Map<Long, Long> failuresPerSecond = new TreeMap<>();

        Entry(Endpoint endpoint) {
            this.endpoint = endpoint;
        }

        void add(long requests, long failures, long bytes, Histogram times, long second) {
            this.requests += requests;
            this.failures += failures;
            this.contentLength += bytes;
            if (requests > 0) {
                perSecond.merge(second, requests, Long::sum);
                lastRequest = Math.max(lastRequest, second);
            }
            if (failures > 0) {
                failuresPerSecond.merge(second, failures, Long::sum);
            }
            if (times == null) {
                return;
            }
            // Each HdrHistogram bucket's middle value, in ms, into Locust's bucket (microseconds recorded).
            for (HistogramIterationValue v : times.recordedValues()) {
                double ms = times.medianEquivalentValue(v.getValueIteratedTo()) / 1000.0;
                long n = v.getCountAtValueIteratedTo();
                responseTimes.merge(bucket(ms), n, Long::sum);
                totalResponseTime += ms * n;
                max = Math.max(max, ms);
                min = min == null ? ms : Math.min(min, ms);
            }
        }

        Map<String, Object> toMap(double startTime) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", endpoint.name());
            m.put("method", endpoint.method());
            m.put("last_request_timestamp", lastRequest > 0 ? lastRequest : null);
            m.put("start_time", startTime);
            m.put("num_requests", requests);
            m.put("num_none_requests", 0L);
            m.put("num_failures", failures);
            m.put("total_response_time", totalResponseTime);
            m.put("max_response_time", max);
            m.put("min_response_time", min);
            m.put("total_content_length", contentLength);
            m.put("response_times", new LinkedHashMap<>(responseTimes));
            m.put("num_reqs_per_sec", new LinkedHashMap<>(perSecond));
            m.put("num_fail_per_sec", new LinkedHashMap<>(failuresPerSecond));
            return m;
        }
    }
}
