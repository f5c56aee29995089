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
import java.util.function.ToDoubleFunction;

/**
 * The proxy's Prometheus metrics ({@code GET /metrics}), kept by Micrometer. Peer and upstream
 * counters are read from the peer groups when scraped (nothing extra on the request path); the
 * one thing recorded per request is its time, into a per-upstream histogram.
 *
 * <p>A scrape takes one snapshot per upstream (one pass under its lock) and every peer's meters
 * read that snapshot, so a scrape costs O(peers), not a snapshot per meter (which with 300 peers
 * made it quadratic and took over a second).
 */
public final class ProxyMetrics {
    private static final List<String> STATES = List.of("up", "down", "draining", "unavail", "unhealthy", "checking");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final List<Snapshots> snapshots = new java.util.ArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong snapshotsTaken = new java.util.concurrent.atomic.AtomicLong();

    /** One upstream's peers as of the scrape in progress; meters read it, the scrape refreshes it. */
    private final class Snapshots {
        final PeerGroup group;
        volatile List<PeerGroup.PeerSnapshot> peers;

        Snapshots(PeerGroup group) {
            this.group = group;
            refresh();
        }

        void refresh() {
            peers = group.snapshot();
            snapshotsTaken.incrementAndGet();
        }

        PeerGroup.PeerSnapshot peer(int index) {
            return peers.get(index);
        }
    }

    public ProxyMetrics(Map<String, PeerGroup> groups) {
        groups.forEach(this::register);
    }

    private void register(String upstream, PeerGroup group) {
        timers.put(upstream, Timer.builder("stampede.upstream.request.duration")
                .description("Time from choosing a server to the end of the response, retries included")
                .tag("upstream", upstream).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry));
        FunctionCounter.builder("stampede.upstream.retries", group, PeerGroup::retries)
                .description("Attempts beyond each request's first").tag("upstream", upstream).register(registry);
        if (group.queueing()) {
            Gauge.builder("stampede.upstream.queue.size", group, g -> g.queueCounters()[0])
                    .description("Requests waiting for a server").tag("upstream", upstream).register(registry);
            FunctionCounter.builder("stampede.upstream.queue.overflows", group, g -> g.queueCounters()[2])
                    .description("Requests refused by the queue (full or timed out)").tag("upstream", upstream).register(registry);
        }
        Snapshots snap = new Snapshots(group);
        snapshots.add(snap);
        List<PeerGroup.PeerSnapshot> peers = snap.peers;
        for (int i = 0; i < peers.size(); i++) {
            int index = i;
            String peer = peers.get(i).name();
            ToDoubleFunction<Snapshots> requests = g -> g.peer(index).requests();
            FunctionCounter.builder("stampede.upstream.peer.requests", snap, requests)
                    .description("Attempts sent to the server").tags("upstream", upstream, "peer", peer).register(registry);
            for (int c = 0; c < 5; c++) {
                int cls = c;
                FunctionCounter.builder("stampede.upstream.peer.responses", snap, g -> g.peer(index).responses()[cls])
                        .description("Responses from the server by status class")
                        .tags("upstream", upstream, "peer", peer, "code", (cls + 1) + "xx").register(registry);
            }
            FunctionCounter.builder("stampede.upstream.peer.fails", snap, g -> g.peer(index).failedAttempts())
                    .description("Failed attempts (errors, timeouts, listed statuses)").tags("upstream", upstream, "peer", peer)
                    .register(registry);
            Gauge.builder("stampede.upstream.peer.active", snap, g -> g.peer(index).conns())
                    .description("Requests in flight to the server").tags("upstream", upstream, "peer", peer).register(registry);
            Gauge.builder("stampede.upstream.peer.header.time", snap, g -> g.peer(index).headerTimeMs() / 1000.0)
                    .description("Moving average of the time to the response header, seconds")
                    .tags("upstream", upstream, "peer", peer).baseUnit("seconds").register(registry);
            for (String state : STATES) {
                Gauge.builder("stampede.upstream.peer.state", snap, g -> g.peer(index).state().equals(state) ? 1 : 0)
                        .description("1 for the server's current state").tags("upstream", upstream, "peer", peer, "state", state)
                        .register(registry);
            }
            FunctionCounter.builder("stampede.upstream.peer.health.checks", snap, g -> g.peer(index).checks())
                    .description("Active health checks run").tags("upstream", upstream, "peer", peer).register(registry);
            FunctionCounter.builder("stampede.upstream.peer.health.check.fails", snap, g -> g.peer(index).checkFails())
                    .description("Active health checks failed").tags("upstream", upstream, "peer", peer).register(registry);
        }
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
        snapshots.forEach(Snapshots::refresh);
        return registry.scrape();
    }

    /** How many peer snapshots were taken so far: one per upstream per scrape (tests check the cost). */
    long snapshotsTaken() {
        return snapshotsTaken.get();
    }
}
