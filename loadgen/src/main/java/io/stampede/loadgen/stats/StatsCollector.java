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
    private volatile IntSupplier users = () -> 0;

    private final Map<Endpoint, Histogram> latency = new HashMap<>();
    private final Map<Endpoint, Histogram> service = new HashMap<>();
    private final Map<Endpoint, Counts> counts = new HashMap<>();
    /** Failures and bytes at the last reset (requests restart with the histograms). */
    private final Map<Endpoint, Counts> baseline = new HashMap<>();
    private final Map<ErrorKey, Long> errorBaseline = new HashMap<>();
    private long droppedBaseline;
    private final Histogram handshakes = newHistogram();
    private long resumedBaseline;
    private final Map<String, Long> exceptionBaseline = new HashMap<>();
    private final ArrayDeque<Map<Endpoint, Counts>> window = new ArrayDeque<>();
    private final ArrayDeque<Long> windowTimes = new ArrayDeque<>();
    private long startNanos;

    public StatsCollector(LongSupplier nanoClock, IntSupplier users) {
        this(nanoClock);
        this.users = users;
    }

    /** A collector whose user count comes later ({@link #countUsers}): the swarm it counts is built with it. */
    public StatsCollector(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
    }

    /** Where each snapshot's user count comes from. */
    public void countUsers(IntSupplier users) {
        this.users = users;
    }

    public synchronized Recording newRecording() {
        Recording r = new Recording();
        if (rawLog != null) {
            r.raw = rawLog.sink();
        }
        recordings.add(r);
        return r;
    }

    private RawLog rawLog;

    /** From now on every recording also writes each request to {@code log} ({@code --raw-log}). */
    public synchronized void recordRaw(RawLog log) {
        rawLog = log;
        for (Recording r : recordings) {
            r.raw = log.sink();
        }
    }

    /** Takes the interval's data from every worker and returns the whole-run picture. */
    public synchronized StatsSnapshot collect() {
        Map<Endpoint, Histogram> interval = new TreeMap<>();
        Map<Endpoint, Counts> now = new HashMap<>();
        for (Recording r : recordings) {
            for (Map.Entry<Endpoint, Recording.Slot> e : r.slots.entrySet()) {
                Endpoint ep = e.getKey();
                Recording.Slot s = e.getValue();
                Histogram lat = s.latency.getIntervalHistogram();
                Histogram svc = s.service.getIntervalHistogram();
                interval.computeIfAbsent(ep, k -> newHistogram()).add(lat);
                latency.computeIfAbsent(ep, k -> newHistogram()).add(lat);
                service.computeIfAbsent(ep, k -> newHistogram()).add(svc);
                now.merge(ep, new Counts(0, s.failures.sum(), s.bytes.sum()), Counts::plus);
            }
        }
        for (Map.Entry<Endpoint, Histogram> e : latency.entrySet()) {
            now.merge(e.getKey(), Counts.ZERO.withRequests(e.getValue().getTotalCount()),
                    (c, r) -> c.withRequests(r.requests()));
        }
        now.replaceAll((ep, c) -> c.minus(baseline.getOrDefault(ep, Counts.ZERO)));
        counts.clear();
        counts.putAll(now);
        long nowNanos = nanoClock.getAsLong();
        window.addLast(Map.copyOf(now));
        windowTimes.addLast(nowNanos);
        while (window.size() > WINDOW_SECONDS + 1) {
            window.removeFirst();
            windowTimes.removeFirst();
        }
        Map<Endpoint, Counts> oldest = window.peekFirst();
        // The real span of the window: the last collection may come late (after users stopped).
        double windowSeconds = Math.max(1e-3, (nowNanos - windowTimes.peekFirst()) / 1e9);

        List<EndpointStats> endpoints = new ArrayList<>();
        Histogram totalLatency = newHistogram();
        Histogram totalService = newHistogram();
        Counts total = Counts.ZERO;
        double totalRps = 0;
        double totalFps = 0;
        for (Endpoint ep : new TreeMap<>(latency).keySet()) {
            Counts c = counts.get(ep);
            Counts old = oldest.getOrDefault(ep, Counts.ZERO);
            double rps = window.size() > 1 ? (c.requests() - old.requests()) / windowSeconds : 0;
            double fps = window.size() > 1 ? (c.failures() - old.failures()) / windowSeconds : 0;
            endpoints.add(new EndpointStats(ep, c.requests(), c.failures(), c.bytes(), latency.get(ep).copy(),
                    service.get(ep).copy(), rps, fps));
            totalLatency.add(latency.get(ep));
            totalService.add(service.get(ep));
            total = total.plus(c);
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
        long resumed = -resumedBaseline;
        for (Recording r : recordings) {
            handshakes.add(r.handshakes.getIntervalHistogram());
            resumed += r.resumed.sum();
        }
        long until = endNanos != 0 ? endNanos : nanoClock.getAsLong();
        double elapsed = (until - startNanos) / 1e9;
        return new StatsSnapshot(System.currentTimeMillis(), elapsed, users.getAsInt(), List.copyOf(endpoints),
                new EndpointStats(Endpoint.AGGREGATED, total.requests(), total.failures(), total.bytes(), totalLatency, totalService,
                        totalRps, totalFps),
                errors, exceptions, dropped - droppedBaseline, interval, intervalTotal,
                new Handshakes(handshakes.getTotalCount(), resumed, handshakes.copy()));
    }

    /**
     * Runs {@code adding} (another process's interval going into this collector's recordings) as
     * one step against {@link #collect()} and {@link #reset()}: a reset never falls between an
     * interval's histograms and its counters.
     */
    public synchronized void absorbing(Runnable adding) {
        adding.run();
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
        handshakes.reset();
        resumedBaseline = 0;
        for (Recording r : recordings) {
            resumedBaseline += r.resumed.sum();
        }
        window.clear();
        windowTimes.clear();
        baseline.clear();
        for (Recording r : recordings) {
            r.slots.forEach((ep, s) -> baseline.merge(ep, new Counts(0, s.failures.sum(), s.bytes.sum()), Counts::plus));
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
}
