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

    /** Ends the attempt on {@code peer}: passive health accounting, and one try used. */
    public void release(Peer peer, Outcome outcome) {
        group.release(this, peer, outcome);
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
        return !tried.get(index) && !p.down && !p.failedRecently(now) && !p.full();
    }

    /** Marks {@code tier[index]} chosen: tried, one more active request, failure window refreshed. */
    Peer picked(int index, long now) {
        Peer p = tier[index];
        tried.set(index);
        if (now - p.checked > p.failTimeout) {
            p.checked = now;
        }
        p.conns++;
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
