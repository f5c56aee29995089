package io.stampede.balancer.upstream;

import io.stampede.common.wire.PeerState;
import java.net.InetSocketAddress;

/**
 * One upstream server at run time: what it is ({@link PeerSpec}), its balancing state, as nginx
 * keeps it per peer, and its statistics ({@link PeerStats}). The state and the statistics change
 * only under the owning {@link PeerGroup}'s lock.
 */
public final class Peer {
    /**
     * What the server is; replaced (under the group's lock) when a reload keeps the server with
     * new parameters. Volatile so code outside the lock reads a whole spec, old or new.
     */
    volatile PeerSpec spec;
    final PeerStats stats = new PeerStats();
    /**
     * nginx Plus's server id in its upstream: given when the server first appears, kept while a
     * reload or the API keeps the server, never reused within the upstream.
     */
    int id = -1;

    /** slow_start: when the ramp began (group millis, 0 none), and whether it starts when next usable. */
    long rampFromMs;
    boolean rampPending;

    /** nginx's smooth weighted round robin and passive health. */
    long currentWeight;
    long effectiveWeight;
    int conns;
    int fails;
    long accessed;
    long checked;
    /** Made unavailable by the passive rules and not answered well since. */
    boolean passiveDown;
    /** nginx's moving averages of the time to the response header and to its last byte, in ms (0 until the first). */
    long headerTimeMs;
    long lastByteTimeMs;
    /** Sum of the pick times (group millis) of the requests in flight, for least_time's inflight. */
    long inflightStartSumMs;

    /** Active health: checks saying "unhealthy" now, and mandatory checks that have not passed yet. */
    int failingChecks;
    int pendingChecks;

    public Peer(PeerSpec spec) {
        this.spec = spec;
        this.effectiveWeight = spec.weight();
    }

    /**
     * A server's balancing state as a value, to move from one configuration's group to the next
     * one's when a reload keeps the server (live reconfiguration decides what it takes of it).
     */
    public record Carried(long currentWeight, long effectiveWeight, int fails, long accessed, long checked,
                          boolean passiveDown, long headerTimeMs, long lastByteTimeMs, int failingChecks,
                          int pendingChecks, long rampFromMs, boolean rampPending) {}

    /** This server's state now; call under the group's lock. */
    Carried carry() {
        return new Carried(currentWeight, effectiveWeight, fails, accessed, checked, passiveDown, headerTimeMs,
                lastByteTimeMs, failingChecks, pendingChecks, rampFromMs, rampPending);
    }

    /** A server that continues with {@code state}; its spec may differ (a new weight keeps the state of the rest). */
    Peer(PeerSpec spec, Carried state) {
        this(spec);
        currentWeight = state.currentWeight();
        effectiveWeight = Math.min(state.effectiveWeight(), spec.weight());
        fails = state.fails();
        accessed = state.accessed();
        checked = state.checked();
        passiveDown = state.passiveDown();
        headerTimeMs = state.headerTimeMs();
        lastByteTimeMs = state.lastByteTimeMs();
        failingChecks = state.failingChecks();
        pendingChecks = state.pendingChecks();
        rampFromMs = state.rampFromMs();
        rampPending = state.rampPending();
    }

    /**
     * The server stays across a reload with new parameters ({@code next}: same address). Its state
     * stays as it is; an effective weight at full strength follows the new weight, one lowered by
     * failures is kept (at most the new weight) and recovers as ever. Call under the group's lock.
     */
    void respec(PeerSpec next) {
        long full = spec.weight();
        effectiveWeight = effectiveWeight >= full ? next.weight() : Math.min(effectiveWeight, next.weight());
        spec = next;
    }

    /**
     * The weight in thousandths, as the balancers use it: {@code weight x 1000}, or during a slow
     * start a share of it growing linearly from 1 (never zero, so the server is not forgotten).
     */
    long scaledWeight(long w, long nowMillis) {
        if (rampFromMs == 0) {
            return w * 1000;
        }
        long elapsed = nowMillis - rampFromMs;
        if (elapsed >= spec.slowStartMs() || elapsed < 0) {
            rampFromMs = 0;
            return w * 1000;
        }
        return Math.max(1, w * 1000 * elapsed / spec.slowStartMs());
    }

    public int id() {
        return id;
    }

    public String sid() {
        return spec.sid();
    }

    public PeerSpec spec() {
        return spec;
    }

    public String name() {
        return spec.name();
    }

    public String server() {
        return spec.server();
    }

    public InetSocketAddress address() {
        return spec.address();
    }

    public int weight() {
        return spec.weight();
    }

    public boolean isDown() {
        return spec.down();
    }

    /** Whether the passive rules exclude it now: {@code max_fails} failures within {@code fail_timeout}. */
    boolean failedRecently(long now) {
        return spec.maxFails() > 0 && fails >= spec.maxFails() && now - checked <= spec.failTimeout();
    }

    boolean full() {
        return spec.maxConns() > 0 && conns >= spec.maxConns();
    }

    /** Whether an active health check keeps it from client requests (unhealthy, or mandatory and not yet passed). */
    boolean failsChecks() {
        return failingChecks > 0 || pendingChecks > 0;
    }

    /** nginx Plus's peer states, the first that applies. */
    PeerState state(long now) {
        if (spec.down()) {
            return PeerState.DOWN;
        }
        if (spec.drain()) {
            return PeerState.DRAINING;
        }
        if (pendingChecks > 0) {
            return PeerState.CHECKING;
        }
        if (failingChecks > 0) {
            return PeerState.UNHEALTHY;
        }
        return failedRecently(now) ? PeerState.UNAVAIL : PeerState.UP;
    }

    @Override
    public String toString() {
        return spec.name();
    }
}
