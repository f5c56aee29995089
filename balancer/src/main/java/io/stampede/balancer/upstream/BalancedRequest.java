package io.stampede.balancer.upstream;

import java.util.BitSet;

/**
 * One request's walk through an upstream, as nginx keeps it per request: which tier it is on
 * (primary, then maybe backup), which peers of that tier it already tried, how many tries are
 * left, and the method's continuation (hash accumulator, probe count, ring position), so a retry
 * never re-picks a peer and continues the method where the last pick stopped.
 */
public final class BalancedRequest {
    final PeerGroup group;
    final byte[] key;
    Peer[] tier;
    boolean inBackup;
    final BitSet tried = new BitSet();
    int tries;

    /** ip_hash's running hash, or hash's accumulator (an unsigned 32-bit value). */
    long hash;
    int rehash;
    /** Unusable landings so far; past 20 the hash and random methods fall back to round robin. */
    int probes;
    /** Position on the consistent-hash ring; -1 until the first pick. */
    int ringIndex = -1;
    /** Peers picked so far; every pick after the first is a retry. */
    int picks;
    /** When the current attempt's peer was picked (group millis), to take it out of the in-flight sum. */
    long pickedAtMs;
    /** The sticky server id this request is bound to (null: none), and whether it was tried already. */
    String boundSid;
    boolean stickyTried;
    /** The queue's answer to this request's first pick: full, so it is refused at once. */
    boolean rejected;

    BalancedRequest(PeerGroup group, byte[] key, int tries) {
        this.group = group;
        this.key = key;
        this.tier = group.primary;
        this.tries = tries;
    }

    /** Picks the next peer, or null for "no live upstreams". */
    public Peer next() {
        return group.pick(this);
    }

    /**
     * The first pick, through the upstream's queue when it has one: the peer; or null, and then
     * either {@link #rejected()} (502 now) or the request waits and {@code onDispatch} gets its peer.
     */
    public Peer nextOrWait(java.util.function.Consumer<Peer> onDispatch) {
        return group.queueing() ? group.pickOrWait(this, onDispatch) : group.pick(this);
    }

    /** Whether the queue was full when this request would have joined it. */
    public boolean rejected() {
        return rejected;
    }

    /**
     * Binds the request to a sticky server id: its first pick tries that server (even a draining
     * one); if it cannot take the request, balancing goes on as usual.
     */
    public void bind(String sid) {
        boundSid = sid == null || sid.isEmpty() ? null : sid;
    }

    /** Leaves the queue; false when a peer was already handed over (its callback is on its way). */
    public boolean leaveQueue(boolean timedOut) {
        return group.leaveQueue(this, timedOut);
    }

    /** Starts the walk again from the primary tier: a queued request picks afresh each time a server frees. */
    void rewind() {
        tier = group.primary;
        inBackup = false;
        tried.clear();
        hash = 0;
        rehash = 0;
        probes = 0;
        ringIndex = -1;
        stickyTried = false;
    }

    /** Ends the attempt on {@code peer}: passive health accounting, and one try used. */
    public void release(Peer peer, Outcome outcome) {
        group.release(this, peer, outcome, 0, -1);
    }

    /**
     * Ends an attempt that got a response: also counts the status class and feeds the peer's
     * response-time average.
     *
     * @param headerMillis time from sending the request to the response header
     */
    public void release(Peer peer, Outcome outcome, int status, long headerMillis) {
        group.release(this, peer, outcome, status, headerMillis);
    }

    /** The group's millisecond clock. */
    long nowMillis() {
        return group.nowMillis();
    }

    /** Tries left after the attempts released so far. */
    public int triesLeft() {
        return tries;
    }

    /** A failed reused keepalive connection does not use up a try (nginx adds one back). */
    public void refundTry() {
        tries++;
    }

    public PeerGroup group() {
        return group;
    }

    boolean usable(int index, Peer p, long now) {
        if (tried.get(index) || p.spec.down() || p.spec.drain() || p.failedRecently(now) || p.full() || p.failsChecks()) {
            return false;
        }
        if (p.rampPending) {
            // Back in service after a failure: slow_start's ramp begins now.
            p.rampPending = false;
            p.rampFromMs = group.nowMillis();
        }
        return true;
    }

    /** Marks {@code tier[index]} chosen: tried, one more active request, failure window refreshed. */
    Peer picked(int index, long now) {
        Peer p = tier[index];
        tried.set(index);
        if (now - p.checked > p.spec.failTimeout()) {
            p.checked = now;
        }
        p.conns++;
        p.stats.requests++;
        p.stats.selectedAt = now;
        pickedAtMs = group.nowMillis();
        p.inflightStartSumMs += pickedAtMs;
        if (picks++ > 0) {
            group.retries++;
        }
        return p;
    }

    void switchToBackup() {
        inBackup = true;
        tier = group.backup;
        tried.clear();
    }

    boolean singleOnPrimary() {
        return group.single && !inBackup;
    }
}
