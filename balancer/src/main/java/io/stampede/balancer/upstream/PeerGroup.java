package io.stampede.balancer.upstream;

import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The runtime of one {@code upstream} block: its primary and backup peers, its balancing method,
 * and the lock that makes pick and release atomic, like nginx's shared zone mutex. Every event loop
 * balances through the same group, so the pick sequence does not depend on which loop a client
 * landed on.
 */
public final class PeerGroup {
    final String name;
    final Peer[] primary;
    final Peer[] backup;
    /** One primary peer and no backups: nginx skips all failure accounting then. */
    final boolean single;
    /** Sum of primary weights, {@code down} peers included (hash methods walk these ranges). */
    final long primaryTotalWeight;
    final int tries;
    final PeerSelector selector;
    private final LongSupplier nowSeconds;
    private final ReentrantLock lock = new ReentrantLock();

    public PeerGroup(String name, List<Peer> peers, SelectorFactory method, LongSupplier nowSeconds) {
        this.name = name;
        this.primary = peers.stream().filter(p -> !p.backup).toArray(Peer[]::new);
        this.backup = peers.stream().filter(p -> p.backup).toArray(Peer[]::new);
        if (primary.length == 0) {
            throw new IllegalArgumentException("upstream " + name + " has no primary servers");
        }
        this.single = primary.length == 1 && backup.length == 0;
        long total = 0;
        for (Peer p : primary) {
            total += p.weight;
        }
        this.primaryTotalWeight = total;
        int usable = 0;
        for (Peer p : peers) {
            usable += p.down ? 0 : 1;
        }
        this.tries = usable;
        this.nowSeconds = nowSeconds;
        this.selector = method.create(this);
    }

    /** Builds a method's selector once the group's peers are known (a consistent-hash ring needs them). */
    @FunctionalInterface
    public interface SelectorFactory {
        PeerSelector create(PeerGroup group);
    }

    public String name() {
        return name;
    }

    public List<Peer> primary() {
        return List.of(primary);
    }

    public List<Peer> backup() {
        return List.of(backup);
    }

    /**
     * Starts balancing one request.
     *
     * @param key the hash key (evaluated once per request, as nginx does), the client address bytes
     *     for ip_hash, or empty
     * @param triesLimit {@code proxy_next_upstream_tries}; 0 means one try per usable server
     */
    public BalancedRequest begin(byte[] key, int triesLimit) {
        int t = triesLimit > 0 ? Math.min(tries, triesLimit) : tries;
        BalancedRequest request = new BalancedRequest(this, key, t);
        selector.start(request);
        return request;
    }

    Peer pick(BalancedRequest request) {
        lock.lock();
        try {
            return selector.pick(request, nowSeconds.getAsLong());
        } finally {
            lock.unlock();
        }
    }

    void release(BalancedRequest request, Peer peer, Outcome outcome) {
        lock.lock();
        try {
            PassiveHealth.free(request, peer, outcome, nowSeconds.getAsLong());
        } finally {
            lock.unlock();
        }
    }

    /** A consistent copy of every peer's counters, for status pages and tests. */
    public List<PeerSnapshot> snapshot() {
        lock.lock();
        try {
            long now = nowSeconds.getAsLong();
            return java.util.stream.Stream.concat(java.util.Arrays.stream(primary), java.util.Arrays.stream(backup))
                    .map(p -> new PeerSnapshot(p.name, p.server, p.backup, p.down, p.weight, p.effectiveWeight,
                            p.currentWeight, p.conns, p.fails, p.failedRecently(now)))
                    .toList();
        } finally {
            lock.unlock();
        }
    }

    /** One peer's counters at one moment. */
    public record PeerSnapshot(String name, String server, boolean backup, boolean down, int weight,
                               long effectiveWeight, long currentWeight, int conns, int fails, boolean unavailable) {}
}
