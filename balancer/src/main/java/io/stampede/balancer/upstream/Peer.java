package io.stampede.balancer.upstream;

import io.stampede.common.wire.PeerState;
import java.net.InetSocketAddress;

/**
 * One upstream server address and its balancing state, as nginx keeps it per peer. The settings
 * are fixed at load; the counters change only under the owning {@link PeerGroup}'s lock.
 */
public final class Peer {
    /** {@code ip:port}, as nginx prints it in {@code $upstream_addr}. */
    final String name;
    /** The server as written in the config (consistent hashing hashes this text). */
    final String server;
    final InetSocketAddress address;
    final int weight;
    final int maxFails;
    final long failTimeout;
    final int maxConns;
    final boolean down;
    final boolean backup;
    /** nginx Plus's drain: no new sessions, only requests bound to it by sticky. */
    final boolean drain;
    /** The sticky server id: the route= value, else the lowercase hex MD5 of the address. */
    final String sid;
    /** slow_start: how long the weight takes to come back; when the ramp began (group millis, 0 none). */
    final long slowStartMs;
    long rampFromMs;
    /** Out of service since the last ramp: the ramp starts when it is next seen usable. */
    boolean rampPending;

    long currentWeight;
    long effectiveWeight;
    int conns;
    int fails;
    long accessed;
    long checked;
    /** Attempts sent to this peer since start (status pages and the bench's share column). */
    long requests;
    /** Responses passed on, by class: 1xx..5xx at [0]..[4]. */
    final long[] responses = new long[5];
    /** Failed attempts in all (nginx Plus's {@code fails}; {@link #fails} is the current window's). */
    long failedAttempts;
    /** Times the passive rules made it unavailable; and whether it has not answered well since. */
    long unavailCount;
    boolean passiveDown;
    /** When it was last chosen (the group clock's seconds), 0 never. */
    long selectedAt;
    /** nginx's moving averages of the time to the response header and to its last byte, in ms (0 until the first). */
    long headerTimeMs;
    long lastByteTimeMs;
    /** Sum of the pick times (group millis) of the requests in flight, for least_time's inflight. */
    long inflightStartSumMs;

    /** Active health: checks saying "unhealthy" now, and mandatory checks that have not passed yet. */
    int failingChecks;
    int pendingChecks;
    long checks;
    long checkFails;
    long unhealthyCount;
    /** Wall-clock millis of the last passed check, 0 never. */
    long lastPassedMillis;
    /** Time spent unhealthy or checking, in ms, and since when it is now (0 when up). */
    long downtimeMs;
    long downSinceMillis;

    /** @param failTimeout seconds, as nginx parses {@code fail_timeout} */
    public Peer(String server, InetSocketAddress address, int weight, int maxFails, long failTimeout,
                int maxConns, boolean down, boolean backup) {
        this(server, address, weight, maxFails, failTimeout, maxConns, down, backup, null, false);
    }

    /** With sticky's route id and drain. */
    public Peer(String server, InetSocketAddress address, int weight, int maxFails, long failTimeout,
                int maxConns, boolean down, boolean backup, String route, boolean drain) {
        this(server, address, weight, maxFails, failTimeout, maxConns, down, backup, route, drain, 0);
    }

    /** With nginx Plus's slow_start as well. */
    public Peer(String server, InetSocketAddress address, int weight, int maxFails, long failTimeout,
                int maxConns, boolean down, boolean backup, String route, boolean drain, long slowStartMillis) {
        this.slowStartMs = slowStartMillis;
        this.name = printable(address);
        this.server = server;
        this.address = address;
        this.weight = weight;
        this.maxFails = maxFails;
        this.failTimeout = failTimeout;
        this.maxConns = maxConns;
        this.down = down;
        this.backup = backup;
        this.effectiveWeight = weight;
        this.drain = drain;
        this.sid = route != null ? route : md5(name);
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
        if (elapsed >= slowStartMs || elapsed < 0) {
            rampFromMs = 0;
            return w * 1000;
        }
        return Math.max(1, w * 1000 * elapsed / slowStartMs);
    }

    public String sid() {
        return sid;
    }

    private static String md5(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is always there", e);
        }
    }

    public String name() {
        return name;
    }

    public String server() {
        return server;
    }

    public InetSocketAddress address() {
        return address;
    }

    public int weight() {
        return weight;
    }

    public boolean isDown() {
        return down;
    }

    /** Whether the passive rules exclude it now: {@code max_fails} failures within {@code fail_timeout}. */
    boolean failedRecently(long now) {
        return maxFails > 0 && fails >= maxFails && now - checked <= failTimeout;
    }

    boolean full() {
        return maxConns > 0 && conns >= maxConns;
    }

    /** Whether an active health check keeps it from client requests (unhealthy, or mandatory and not yet passed). */
    boolean failsChecks() {
        return failingChecks > 0 || pendingChecks > 0;
    }

    /** nginx Plus's peer states, the first that applies. */
    PeerState state(long now) {
        if (down) {
            return PeerState.DOWN;
        }
        if (drain) {
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

    static String printable(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    @Override
    public String toString() {
        return name;
    }
}
