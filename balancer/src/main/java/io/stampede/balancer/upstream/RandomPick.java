package io.stampede.balancer.upstream;

import java.util.random.RandomGenerator;

/**
 * nginx's {@code random} and {@code random two least_conn}: a random point in the primary weight
 * ranges picks a server; an unusable or already tried one is a probe, and after 20 probes the
 * request falls back to round robin. With {@code two}, peeks continue until two distinct usable
 * servers are found (the first one counts as a probe too) and the one with fewer active requests
 * per weight wins, the second on a tie.
 */
final class RandomPick implements PeerSelector {
    private final boolean two;
    private final RandomGenerator random;

    private final Load load;

    RandomPick(boolean two, RandomGenerator random) {
        this(two, random, Load.CONNS);
    }

    /** {@code random two least_time=...}: the two candidates compared by expected time instead. */
    RandomPick(boolean two, RandomGenerator random, Load load) {
        this.two = two;
        this.random = random;
        this.load = load;
    }

    @Override
    public Peer pick(BalancedRequest r, long now) {
        if (r.probes > 20 || r.singleOnPrimary() || r.inBackup) {
            return RoundRobin.get(r, now);
        }
        Peer[] peers = r.group.primary;
        int first = -1;
        while (true) {
            int i = Weights.owner(r.group, random.nextLong(r.group.primaryTotalWeight));
            if (r.usable(i, peers[i], now) && i != first) {
                if (!two) {
                    return r.picked(i, now);
                }
                if (first >= 0) {
                    Peer a = peers[first];
                    Peer b = peers[i];
                    long nowMillis = r.group.nowMillis();
                    boolean takeFirst = load.of(b, now, nowMillis) * a.spec.weight() > load.of(a, now, nowMillis) * b.spec.weight();
                    return r.picked(takeFirst ? first : i, now);
                }
                first = i;
            }
            if (++r.probes > 20) {
                return RoundRobin.get(r, now);
            }
        }
    }
}
