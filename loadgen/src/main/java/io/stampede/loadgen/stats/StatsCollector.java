package io.stampede.loadgen.stats;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * Merges the workers' recordings, once per interval, into whole-run statistics. The workers'
 * histograms are taken as interval snapshots (wait-free for them); everything else here runs on
 * the collector's own thread, so reporters get consistent, immutable snapshots.
 */
public final class StatsCollector {
    private static final int WINDOW_SECONDS = 10;

    private final List<Recording> recordings = new CopyOnWriteArrayList<>();
    private final LongSupplier nanoClock;
    private final IntSupplier users;

    private final Map<Endpoint, Histogram> latency = new HashMap<>();
    private final Map<Endpoint, Histogram> service = new HashMap<>();
    private final Map<Endpoint, long[]> counts = new HashMap<>();       // requests, failures, bytes
    private final Map<Endpoint, long[]> baseline = new HashMap<>();     // counters at the last reset
    private final Map<ErrorKey, Long> errorBaseline = new HashMap<>();
    private long droppedBaseline;
    private final Map<String, Long> exceptionBaseline = new HashMap<>();
    private final ArrayDeque<Map<Endpoint, long[]>> window = new ArrayDeque<>();
    private final ArrayDeque<Long> windowTimes = new ArrayDeque<>();
    private long startNanos;

    public StatsCollector(LongSupplier nanoClock, IntSupplier users) {
        this.nanoClock = nanoClock;
        this.users = users;
        this.startNanos = nanoClock.getAsLong();
    }

    public Recording newRecording() {
        Recording r = new Recording();
        recordings.add(r);
        return r;
    }

    /** Takes the interval's data from every worker and returns the whole-run picture. */
    public synchronized StatsSnapshot collect() {
        Map<Endpoint, Histogram> interval = new TreeMap<>();
        Map<Endpoint, long[]> now = new HashMap<>();
        for (Recording r : recordings) {
            for (Map.Entry<Endpoint, Recording.Slot> e : r.slots.entrySet()) {
                Endpoint ep = e.getKey();
                Recording.Slot s = e.getValue();
                Histogram lat = s.latency.getIntervalHistogram();
                Histogram svc = s.service.getIntervalHistogram();
                interval.computeIfAbsent(ep, k -> newHistogram()).add(lat);
                latency.computeIfAbsent(ep, k -> newHistogram()).add(lat);
                service.computeIfAbsent(ep, k -> newHistogram()).add(svc);
                long[] c = now.computeIfAbsent(ep, k -> new long[3]);
                c[1] += s.failures.sum();
                c[2] += s.bytes.sum();
            }
        }
        for (Map.Entry<Endpoint, Histogram> e : latency.entrySet()) {
            now.computeIfAbsent(e.getKey(), k -> new long[3])[0] = e.getValue().getTotalCount();
        }
        for (Map.Entry<Endpoint, long[]> e : now.entrySet()) {
            long[] base = baseline.get(e.getKey());
            long[] c = e.getValue();
            if (base != null) {
                c[1] -= base[1];
                c[2] -= base[2];
            }
        }
        counts.clear();
        counts.putAll(now);
        long nowNanos = nanoClock.getAsLong();
        window.addLast(copy(now));
        windowTimes.addLast(nowNanos);
        while (window.size() > WINDOW_SECONDS + 1) {
            window.removeFirst();
            windowTimes.removeFirst();
        }
        Map<Endpoint, long[]> oldest = window.peekFirst();
        // The real span of the window: the last collection may come late (after users stopped).
        double windowSeconds = Math.max(1e-3, (nowNanos - windowTimes.peekFirst()) / 1e9);

        List<EndpointStats> endpoints = new ArrayList<>();
        Histogram totalLatency = newHistogram();
        Histogram totalService = newHistogram();
        long[] total = new long[3];
        double totalRps = 0;
        double totalFps = 0;
        for (Endpoint ep : new TreeMap<>(latency).keySet()) {
            long[] c = counts.get(ep);
            long[] old = oldest.getOrDefault(ep, new long[3]);
            double rps = window.size() > 1 ? (c[0] - old[0]) / windowSeconds : 0;
            double fps = window.size() > 1 ? (c[1] - old[1]) / windowSeconds : 0;
            endpoints.add(new EndpointStats(ep, c[0], c[1], c[2], latency.get(ep).copy(), service.get(ep).copy(), rps, fps));
            totalLatency.add(latency.get(ep));
            totalService.add(service.get(ep));
            total[0] += c[0];
            total[1] += c[1];
            total[2] += c[2];
            totalRps += rps;
            totalFps += fps;
        }
        Histogram intervalTotal = newHistogram();
        interval.values().forEach(intervalTotal::add);
        Map<ErrorKey, Long> errors = new TreeMap<>(java.util.Comparator.comparing(ErrorKey::name)
                .thenComparing(ErrorKey::method).thenComparing(ErrorKey::error));
        long dropped = 0;
        for (Recording r : recordings) {
            r.errors.forEach((k, v) -> errors.merge(k, v.sum(), Long::sum));
            dropped += r.dropped.sum();
        }
        errorBaseline.forEach((k, v) -> errors.computeIfPresent(k, (kk, cur) -> cur - v == 0 ? null : cur - v));
        Map<String, Long> exceptions = new TreeMap<>();
        for (Recording r : recordings) {
            r.exceptions.forEach((k, v) -> exceptions.merge(k, v.sum(), Long::sum));
        }
        exceptionBaseline.forEach((k, v) -> exceptions.computeIfPresent(k, (kk, cur) -> cur - v == 0 ? null : cur - v));
        long until = endNanos != 0 ? endNanos : nanoClock.getAsLong();
        double elapsed = (until - startNanos) / 1e9;
        return new StatsSnapshot(System.currentTimeMillis(), elapsed, users.getAsInt(), List.copyOf(endpoints),
                new EndpointStats(Endpoint.AGGREGATED, total[0], total[1], total[2], totalLatency, totalService,
                        totalRps, totalFps),
                errors, exceptions, dropped - droppedBaseline, interval, intervalTotal);
    }

    /** Restarts the run's clock (the open model starts once its users are ready); counts stay. */
    public synchronized void startClock() {
        startNanos = nanoClock.getAsLong();
    }

    /**
     * Marks the end of the run: rates are per second of the run, not of the time it then takes
     * the users to stop (their last responses still count).
     */
    public synchronized void stopClock() {
        endNanos = nanoClock.getAsLong();
    }

    private long endNanos;

    /** Zeroes the statistics (Locust's reset): what was recorded so far no longer counts. */
    public synchronized void reset() {
        collect();
        latency.clear();
        service.clear();
        window.clear();
        windowTimes.clear();
        baseline.clear();
        for (Recording r : recordings) {
            r.slots.forEach((ep, s) -> {
                long[] b = baseline.computeIfAbsent(ep, k -> new long[3]);
                b[1] += s.failures.sum();
                b[2] += s.bytes.sum();
            });
        }
        errorBaseline.clear();
        droppedBaseline = 0;
        exceptionBaseline.clear();
        for (Recording r : recordings) {
            r.errors.forEach((k, v) -> errorBaseline.merge(k, v.sum(), Long::sum));
            r.exceptions.forEach((k, v) -> exceptionBaseline.merge(k, v.sum(), Long::sum));
            droppedBaseline += r.dropped.sum();
        }
        startNanos = nanoClock.getAsLong();
    }

    static Histogram newHistogram() {
        return new Histogram(Recording.HIGHEST_MICROS, 3);
    }

    private static Map<Endpoint, long[]> copy(Map<Endpoint, long[]> m) {
        Map<Endpoint, long[]> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }
}
