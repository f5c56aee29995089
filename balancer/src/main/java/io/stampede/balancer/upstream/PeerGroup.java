package io.stampede.balancer.upstream;

import io.stampede.common.wire.PeerState;
import io.stampede.common.wire.ProxyStatus.QueueStatus;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
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
    /** The primaries' weights when the group was built, in order (see {@link Weights}). */
    final int[] primaryWeights;
    final int tries;
    final PeerSelector selector;
    private final LongSupplier nowSeconds;
    /** Milliseconds for least_time; the seconds clock scaled unless a finer one is given. */
    private volatile LongSupplier nowMillis;
    /** Attempts beyond each request's first (guarded by the lock). */
    long retries;
    /** nginx Plus's queue (guarded by the lock), or null when the upstream has none. */
    private final UpstreamQueue queue;
    /**
     * One lock per upstream name for the life of the process: a reload's group takes its
     * predecessor's, since the servers they share are guarded by it.
     */
    private final ReentrantLock lock;
    /**
     * This upstream's groups across reloads that may have requests waiting, oldest first, this
     * one last: shared with the groups before and after it (guarded by the lock). A server freed
     * through any of them serves the oldest waiting requests of all, since requests that started
     * before a reload wait in the old group's queue and those after it in the new one's. A group
     * leaves the list once its queue is empty and a newer group is there.
     */
    private final List<PeerGroup> queues;
    /** The next server id (guarded by the lock; carried by a reload's group). */
    private int nextId;

    public PeerGroup(String name, List<Peer> peers, SelectorFactory method, LongSupplier nowSeconds) {
        this(name, peers, method, nowSeconds, 0);
    }

    /** @param queueLimit the most requests that may wait for a server; 0 for no queue (they get 502 at once) */
    public PeerGroup(String name, List<Peer> peers, SelectorFactory method, LongSupplier nowSeconds, int queueLimit) {
        this(name, peers, method, nowSeconds, queueLimit, null);
    }

    /**
     * A reload's group for an upstream that was there before: {@code peers} come from
     * {@link #carryOver}, so the servers both have are the same objects, with their state.
     */
    public PeerGroup(String name, List<Peer> peers, SelectorFactory method, LongSupplier nowSeconds, int queueLimit,
                     PeerGroup previous) {
        this.name = name;
        this.lock = previous == null ? new ReentrantLock() : previous.lock;
        this.queue = queueLimit > 0 ? new UpstreamQueue(queueLimit) : null;
        this.queues = previous == null ? new java.util.ArrayList<>(1) : previous.queues;
        lock.lock();
        try {
            if (previous != null) {
                this.nextId = previous.nextId;
                this.retries = previous.retries;
            }
            // Older groups with nobody waiting leave the list now (one that queues again rejoins it).
            queues.removeIf(g -> g.queue == null || g.queue.status().size() == 0);
            queues.add(this);
        } finally {
            lock.unlock();
        }
        this.primary = peers.stream().filter(p -> !p.spec.backup()).toArray(Peer[]::new);
        this.backup = peers.stream().filter(p -> p.spec.backup()).toArray(Peer[]::new);
        if (primary.length == 0 && backup.length > 0) {
            throw new IllegalArgumentException("upstream " + name + " has no primary servers");
        }
        // Ids for servers new to this upstream, in configuration order (at the first start: 0, 1, ...).
        for (Peer p : peers) {
            if (p.id < 0) {
                p.id = nextId++;
            }
        }
        this.single = primary.length == 1 && backup.length == 0;
        long total = 0;
        this.primaryWeights = new int[primary.length];
        for (int i = 0; i < primary.length; i++) {
            primaryWeights[i] = primary[i].spec.weight();
            total += primaryWeights[i];
        }
        this.primaryTotalWeight = total;
        int usable = 0;
        for (Peer p : peers) {
            usable += p.spec.down() || p.spec.drain() ? 0 : 1;
        }
        this.tries = usable;
        this.nowSeconds = nowSeconds;
        this.nowMillis = () -> nowSeconds.getAsLong() * 1000;
        // Sticky sessions are a layer over whatever method the upstream uses; unbound requests pass straight through.
        this.selector = new StickySelector(method.create(this));
    }

    /**
     * The peers of a reloaded upstream: each server {@code previous} has at the same address is
     * kept, state and all, with its new parameters ({@link Peer#respec}); the others are new, and
     * with slow_start ramp up from now, as nginx Plus starts a server added at run time.
     */
    public static List<Peer> carryOver(PeerGroup previous, List<PeerSpec> specs) {
        List<Peer> out = new java.util.ArrayList<>(specs.size());
        java.util.Set<Peer> taken = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        previous.lock.lock();
        try {
            long now = previous.nowMillis();
            for (PeerSpec spec : specs) {
                Peer kept = null;
                for (Peer p : previous.peers()) {
                    if (p.spec.address().equals(spec.address()) && !taken.contains(p)) {
                        kept = p;
                        break;
                    }
                }
                if (kept != null) {
                    taken.add(kept);
                    kept.respec(spec);
                    out.add(kept);
                } else {
                    Peer fresh = new Peer(spec);
                    fresh.rampFromMs = spec.slowStartMs() > 0 ? Math.max(1, now) : 0;
                    out.add(fresh);
                }
            }
        } finally {
            previous.lock.unlock();
        }
        return out;
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
            return choose(request, nowSeconds.getAsLong());
        } finally {
            lock.unlock();
        }
    }

    void release(BalancedRequest request, Peer peer, Outcome outcome, int status, long headerMillis) {
        List<Runnable> ready;
        String event = null;
        lock.lock();
        try {
            long now = nowSeconds.getAsLong();
            boolean wasUnavailable = peer.failedRecently(now);
            long pickedAt = request.pickedAtMs;
            if (pickedAt != 0) {
                peer.inflightStartSumMs -= pickedAt;
                request.pickedAtMs = 0;
            }
            PassiveHealth.free(request, peer, outcome, now);
            if (outcome == Outcome.FAILED) {
                peer.stats.failedAttempts++;
                if (!wasUnavailable && peer.failedRecently(now)) {
                    peer.stats.unavailCount++;
                    peer.passiveDown = true;
                    peer.rampPending = peer.spec.slowStartMs() > 0;
                    event = "server " + peer.spec.name() + " in upstream " + name + " is unavailable: passive: " + peer.fails
                            + (peer.fails == 1 ? " failure" : " failures") + " within " + peer.spec.failTimeout() + "s";
                }
            }
            if (status >= 100 && status < 600) {
                peer.stats.responses[status / 100 - 1]++;
            }
            if (outcome == Outcome.OK && peer.passiveDown) {
                // nginx re-admits a failed server lazily, with the first request after fail_timeout.
                peer.passiveDown = false;
                event = "server " + peer.spec.name() + " in upstream " + name + " is up again: passive: it answered after fail_timeout";
            }
            if (outcome == Outcome.OK && headerMillis >= 0) {
                // nginx's least_time averages: the first sample, then 5% of each new one.
                peer.headerTimeMs = ewma(peer.headerTimeMs, headerMillis);
                peer.lastByteTimeMs = ewma(peer.lastByteTimeMs, pickedAt == 0 ? headerMillis : Math.max(headerMillis, nowMillis() - pickedAt));
            }
            ready = drain(now);
        } finally {
            lock.unlock();
        }
        UpstreamQueue.run(ready);
        if (event != null) {
            events.accept(event);
        }
    }

    /** The method's pick, through the sticky layer. Under the lock. */
    private Peer choose(BalancedRequest r, long now) {
        if (primary.length == 0) {
            return null; // every server was removed (through the API): 502, as nginx Plus answers
        }
        return selector.pick(r, now);
    }

    private static long ewma(long avg, long sample) {
        return avg == 0 ? sample : Math.round(0.05 * sample + 0.95 * avg);
    }

    long nowMillis() {
        return nowMillis.getAsLong();
    }

    /** A finer clock for least_time (the proxy's wall clock in ms; tests drive their own). */
    public void millisClock(LongSupplier clock) {
        this.nowMillis = clock;
    }

    /** Where peer state changes are reported (the error log), once per change. */
    private volatile Consumer<String> events = e -> { };

    public void onEvent(Consumer<String> sink) {
        this.events = sink;
    }

    /**
     * Applies one active check's change of verdict on {@code peer}: {@code failing} and
     * {@code pending} are +1, -1 or 0 for that check. Returns the peer's state before and after
     * (the checker logs a change once, with its reason).
     */
    public StateChange checked(Peer peer, boolean passed, int failing, int pending, long wallMillis) {
        List<Runnable> ready;
        StateChange states;
        lock.lock();
        try {
            long now = nowSeconds.getAsLong();
            PeerState before = peer.state(now);
            boolean wasOut = peer.failsChecks();
            peer.stats.checks++;
            if (passed) {
                peer.stats.lastPassedMillis = wallMillis;
            } else {
                peer.stats.checkFails++;
            }
            peer.failingChecks += failing;
            peer.pendingChecks += pending;
            if (failing > 0) {
                peer.stats.unhealthyCount++;
            }
            if (!wasOut && peer.failsChecks()) {
                peer.stats.downSinceMillis = wallMillis;
                peer.rampPending = peer.spec.slowStartMs() > 0;
            } else if (wasOut && !peer.failsChecks()) {
                peer.stats.downtimeMs += wallMillis - peer.stats.downSinceMillis;
                peer.stats.downSinceMillis = 0;
            }
            states = new StateChange(before, peer.state(now));
            ready = drain(now); // a server back in service takes waiting requests at once
        } finally {
            lock.unlock();
        }
        UpstreamQueue.run(ready);
        return states;
    }

    /** A server's state before and after an event. */
    public record StateChange(PeerState before, PeerState after) {
        public boolean changed() {
            return before != after;
        }
    }

    /**
     * A check that a reload removed (or starts afresh) gives back its part of the server's state:
     * its "unhealthy" verdict and its pending mandatory pass.
     */
    public void forgetCheck(Peer peer, boolean failing, boolean pending) {
        List<Runnable> ready;
        lock.lock();
        try {
            boolean wasOut = peer.failsChecks();
            peer.failingChecks -= failing ? 1 : 0;
            peer.pendingChecks -= pending ? 1 : 0;
            if (wasOut && !peer.failsChecks() && peer.stats.downSinceMillis > 0) {
                peer.stats.downtimeMs += System.currentTimeMillis() - peer.stats.downSinceMillis;
                peer.stats.downSinceMillis = 0;
            }
            ready = drain(nowSeconds.getAsLong());
        } finally {
            lock.unlock();
        }
        UpstreamQueue.run(ready);
    }

    /** A mandatory check registers its peer as "checking" until its first pass. */
    public void startChecking(Peer peer, long wallMillis) {
        lock.lock();
        try {
            if (!peer.failsChecks()) {
                peer.stats.downSinceMillis = wallMillis;
            }
            peer.pendingChecks++;
        } finally {
            lock.unlock();
        }
    }

    /** Every peer, primaries first (health checks run one task per peer). */
    public List<Peer> peers() {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(primary), java.util.Arrays.stream(backup)).toList();
    }

    /**
     * A request's first pick when the group has a queue. Requests already waiting are served first
     * (a freed slot goes to the oldest); then this one picks, and if no server can take it, it
     * waits in the queue, or is refused when the queue is full ({@link BalancedRequest#rejected}).
     *
     * @param onDispatch called once, from whichever thread freed a server, with the peer chosen
     *     for the request while it waited (already counted as picked)
     */
    Peer pickOrWait(BalancedRequest request, Consumer<Peer> onDispatch) {
        List<Runnable> ready;
        Peer p;
        lock.lock();
        try {
            long now = nowSeconds.getAsLong();
            ready = drain(now);
            p = choose(request, now);
            if (p == null && !queue.offer(request, onDispatch)) {
                request.rejected = true;
            } else if (p == null && !queues.contains(this)) {
                // An old group (a request begun before a reload) queues again: served with the rest, oldest first.
                queues.add(0, this);
            }
        } finally {
            lock.unlock();
        }
        UpstreamQueue.run(ready);
        return p;
    }

    /** Takes a waiting request out of the queue (timeout, client gone); false if it was dispatched already. */
    boolean leaveQueue(BalancedRequest request, boolean timedOut) {
        lock.lock();
        try {
            return queue.leave(request, timedOut);
        } finally {
            lock.unlock();
        }
    }

    /** Hands freed servers to the oldest waiting requests, under the lock; their callbacks run after it. */
    private List<Runnable> drain(long now) {
        if (queues.size() == 1 && queues.get(0) == this) {
            return queue == null ? null : drainOwn(now); // no reload in between: the usual case
        }
        List<Runnable> all = null;
        PeerGroup newest = queues.get(queues.size() - 1);
        for (java.util.Iterator<PeerGroup> it = queues.iterator(); it.hasNext(); ) {
            PeerGroup g = it.next();
            List<Runnable> ready = g.queue == null ? null : g.drainOwn(now);
            if (ready != null && !ready.isEmpty()) {
                if (all == null) {
                    all = new java.util.ArrayList<>();
                }
                all.addAll(ready);
            }
            if (g != newest && (g.queue == null || g.queue.status().size() == 0)) {
                it.remove();
            }
        }
        return all;
    }

    private List<Runnable> drainOwn(long now) {
        return queue.drain(waiting -> {
            // A queued request picks afresh each time a server frees.
            waiting.rewind();
            selector.start(waiting);
            return choose(waiting, now);
        });
    }

    public boolean queueing() {
        return queue != null;
    }

    /** The queue's state: requests waiting now, its limit, and requests refused (full or timed out) so far. */
    public QueueStatus queueCounters() {
        lock.lock();
        try {
            return queue == null ? new QueueStatus(0, 0, 0) : queue.status();
        } finally {
            lock.unlock();
        }
    }

    /** A consistent copy of every peer's counters, for status pages and tests. */
    public List<PeerSnapshot> snapshot() {
        lock.lock();
        try {
            long now = nowSeconds.getAsLong();
            long wall = System.currentTimeMillis();
            return java.util.stream.Stream.concat(java.util.Arrays.stream(primary), java.util.Arrays.stream(backup))
                    .map(p -> new PeerSnapshot(p.id, p.spec.name(), p.spec.server(), p.spec.backup(), p.spec.down(), p.spec.weight(), p.effectiveWeight,
                            p.currentWeight, p.conns, p.fails, p.failedRecently(now), p.stats.requests, p.state(now),
                            p.stats.responses.clone(), p.stats.failedAttempts, p.stats.unavailCount, p.stats.selectedAt, p.headerTimeMs,
                            p.stats.checks, p.stats.checkFails, p.stats.unhealthyCount, p.stats.lastPassedMillis,
                            p.stats.downtimeMs + (p.stats.downSinceMillis > 0 ? wall - p.stats.downSinceMillis : 0)))
                    .toList();
        } finally {
            lock.unlock();
        }
    }

    /** One peer's counters at one moment. */
    public record PeerSnapshot(int id, String name, String server, boolean backup, boolean down, int weight,
                               long effectiveWeight, long currentWeight, int conns, int fails, boolean unavailable,
                               long requests, PeerState state, long[] responses, long failedAttempts, long unavailCount,
                               long selectedAt, long headerTimeMs, long checks, long checkFails, long unhealthyCount,
                               long lastPassedMillis, long downtimeMs) {}

    /** Attempts beyond each request's first: retries on another peer (or a fresh connection). */
    public long retries() {
        lock.lock();
        try {
            return retries;
        } finally {
            lock.unlock();
        }
    }
}
