package io.stampede.balancer.admin;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.stampede.balancer.upstream.PeerGroup;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's Prometheus metrics ({@code GET /metrics}). Upstream meters are Micrometer's: the one
 * thing recorded per request is its time, into a per-upstream histogram, and retries and queue
 * counters are read from the peer groups when scraped. Per-server series are read from one
 * snapshot per upstream per scrape (one pass under its lock) and written by
 * {@link PeerExposition}: a scrape costs O(servers), not a snapshot per meter (which with 300
 * servers made it quadratic and took over a second).
 */
public final class ProxyMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Snapshots> snapshots = new java.util.LinkedHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong snapshotsTaken = new java.util.concurrent.atomic.AtomicLong();
    /** The meters read from each upstream's group, re-made when a reload replaces the group. */
    private final Map<String, List<io.micrometer.core.instrument.Meter>> groupMeters = new java.util.HashMap<>();

    /** One upstream's peers as of the latest scrape. */
    private final class Snapshots {
        final PeerGroup group;
        List<PeerGroup.PeerSnapshot> peers;

        Snapshots(PeerGroup group) {
            this.group = group;
            refresh();
        }

        void refresh() {
            peers = group.snapshot();
            snapshotsTaken.incrementAndGet();
        }
    }

    public ProxyMetrics(Map<String, PeerGroup> groups) {
        groups.forEach(this::register);
    }

    private void register(String upstream, PeerGroup group) {
        timers.computeIfAbsent(upstream, u -> Timer.builder("stampede.upstream.request.duration")
                .description("Time from choosing a server to the end of the response, retries included")
                .tag("upstream", upstream).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry));
        List<io.micrometer.core.instrument.Meter> meters = new java.util.ArrayList<>();
        meters.add(FunctionCounter.builder("stampede.upstream.retries", group, PeerGroup::retries)
                .description("Attempts beyond each request's first").tag("upstream", upstream).register(registry));
        if (group.queueing()) {
            meters.add(Gauge.builder("stampede.upstream.queue.size", group, g -> g.queueCounters().size())
                    .description("Requests waiting for a server").tag("upstream", upstream).register(registry));
            meters.add(FunctionCounter.builder("stampede.upstream.queue.overflows", group, g -> g.queueCounters().overflows())
                    .description("Requests refused by the queue (full or timed out)").tag("upstream", upstream).register(registry));
        }
        groupMeters.put(upstream, meters);
        snapshots.put(upstream, new Snapshots(group));
    }

    /**
     * A reload's upstreams take the place of the old ones: meters read from a group read from its
     * successor (counts carried over, so they never go back), and those of removed upstreams go.
     */
    public synchronized void replace(Map<String, PeerGroup> groups) {
        for (String upstream : List.copyOf(snapshots.keySet())) {
            groupMeters.getOrDefault(upstream, List.of()).forEach(registry::remove);
            groupMeters.remove(upstream);
            snapshots.remove(upstream);
            if (!groups.containsKey(upstream)) {
                Timer t = timers.remove(upstream);
                if (t != null) {
                    registry.remove(t);
                }
            }
        }
        groups.forEach(this::register);
    }

    /** One request through {@code upstream} ended after {@code nanos}. */
    public void requestDone(String upstream, long nanos) {
        Timer t = timers.get(upstream);
        if (t != null) {
            t.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** The text exposition format, for {@code GET /metrics}. */
    public synchronized String scrape() {
        Map<String, List<PeerGroup.PeerSnapshot>> peers = new java.util.LinkedHashMap<>();
        snapshots.forEach((name, s) -> {
            s.refresh();
            peers.put(name, s.peers);
        });
        StringBuilder out = new StringBuilder(registry.scrape());
        PeerExposition.write(out, peers);
        return out.toString();
    }

    /** How many peer snapshots were taken so far: one per upstream per scrape (tests check the cost). */
    long snapshotsTaken() {
        return snapshotsTaken.get();
    }
}
