package io.stampede.bench;

import io.stampede.common.wire.PeerState;
import io.stampede.common.wire.ProxyStatus;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The failure preset's event: one backend is killed with SIGKILL partway through the measured
 * window and started again later on the same port. While it is down the proxy's status is polled
 * (every 100 ms) to see how soon it stopped choosing the dead server and how many attempts still
 * went there; after the restart, how soon the server served requests again.
 */
final class Disrupter {
    private static final long POLL_MS = 100;

    private final Plan.Disruption plan;
    private final Backends backends;
    private final Balancer balancer;
    private final Backends.Server victim;
    private final String upstream;
    private final Map<String, Object> summary = new LinkedHashMap<>();

    Disrupter(Plan.Disruption plan, Backends backends, Balancer balancer, String upstream, int victimIndex) {
        this.plan = plan;
        this.backends = backends;
        this.balancer = balancer;
        this.upstream = upstream;
        this.victim = backends.servers.get(victimIndex);
    }

    Map<String, Object> summary() {
        return summary;
    }

    /** Runs the kill and restart on the calling thread; returns early if the swarm ends first. */
    void run(long windowStartNanos, Child swarm) throws InterruptedException, BenchException {
        if (!waitUntil(windowStartNanos + plan.killAt().toNanos(), swarm)) {
            return;
        }
        summary.put("backend", victim.name);
        long before = attempts(balancer == null ? null : balancer.status());
        backends.kill(victim);
        long killed = System.nanoTime();
        summary.put("killed_at_s", seconds(killed - windowStartNanos));
        long markedAfter = -1;
        long lastAttempt = -1;
        long attempts = before;
        while (System.nanoTime() < windowStartNanos + plan.backAt().toNanos() && swarm.alive()) {
            swarm.process.waitFor(POLL_MS, TimeUnit.MILLISECONDS);
            ProxyStatus status = balancer == null ? null : balancer.status();
            PeerState state = Balancer.peerState(status, upstream, victim.address());
            if (markedAfter < 0 && state != null && state != PeerState.UP) {
                markedAfter = System.nanoTime() - killed;
            }
            long a = attempts(status);
            if (a > attempts) {
                attempts = a;
                lastAttempt = System.nanoTime() - killed;
            }
        }
        if (balancer != null && balancer.status() != null) {
            summary.put("attempts_while_down", attempts - before);
            summary.put("marked_unavailable_after_ms", markedAfter < 0 ? null : markedAfter / 1_000_000);
            summary.put("last_attempt_after_kill_ms", lastAttempt < 0 ? null : lastAttempt / 1_000_000);
        }
        backends.restart(victim);
        long back = System.nanoTime();
        summary.put("back_at_s", seconds(back - windowStartNanos));
        while (swarm.alive()) {
            swarm.process.waitFor(POLL_MS, TimeUnit.MILLISECONDS);
            if (servedSinceRestart() > 0) {
                summary.put("served_again_after_ms", (System.nanoTime() - back) / 1_000_000);
                return;
            }
        }
        summary.put("served_again_after_ms", null);
    }

    private boolean waitUntil(long deadline, Child swarm) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            if (swarm.process.waitFor(left, TimeUnit.NANOSECONDS)) {
                return false; // the swarm ended before the event was due
            }
        }
        return true;
    }

    private long attempts(ProxyStatus status) {
        return status == null ? 0 : Balancer.peerRequests(status, upstream).getOrDefault(victim.address(), 0L);
    }

    private long servedSinceRestart() throws InterruptedException {
        try {
            return Admin.get(victim.url() + "/_admin/stats").path("requests_total").asLong();
        } catch (IOException e) {
            return 0;
        }
    }

    private static double seconds(long nanos) {
        return Math.round(nanos / 1e7) / 100.0;
    }
}
