package io.stampede.balancer.upstream;

import java.util.function.IntPredicate;

/**
 * nginx's smooth weighted round robin, and the tier logic every method falls back on.
 *
 * <p>Each round, every usable peer adds its effective weight to its current weight; the peer with
 * the highest current weight wins (the earliest on ties) and gives back the round's total. With
 * weights 5,1,1 that spreads picks as a a b a c a a instead of bunching them. An effective weight
 * cut by failures grows back by one each round the peer takes part in.
 */
final class RoundRobin implements PeerSelector {
    static final RoundRobin INSTANCE = new RoundRobin();

    private RoundRobin() {}

    @Override
    public Peer pick(BalancedRequest r, long now) {
        return get(r, now);
    }

    /** The round robin get, shared as the fallback of every other method. */
    static Peer get(BalancedRequest r, long now) {
        while (true) {
            if (r.singleOnPrimary()) {
                // One server, no backups: no failure check, no tried bit, no window update; the
                // statistics (/status, /metrics) count it all the same.
                Peer p = r.tier[0];
                if (p.spec.down() || p.full() || p.failsChecks()) {
                    return null;
                }
                p.conns++;
                p.stats.requests++;
                p.stats.selectedAt = now;
                return p;
            }
            int best = smooth(r, 0, i -> true, now);
            if (best >= 0) {
                return r.picked(best, now);
            }
            if (!r.inBackup && r.group.backup.length > 0) {
                r.switchToBackup();
                continue;
            }
            return null;
        }
    }

    @Override
    public void bound(BalancedRequest r, int index, long now) {
        stickyRound(r, index, now);
    }

    /**
     * The round robin bookkeeping of a sticky pick, as nginx does it: the round runs as usual but
     * the bound peer pays the total, so bound requests make unbound ones less likely to land on
     * it; skipped once the bound peer is already {@code total - weight} in debt.
     */
    private static void stickyRound(BalancedRequest r, int bound, long now) {
        Peer[] tier = r.tier;
        long nowMs = r.nowMillis();
        long total = 0;
        for (int i = 0; i < tier.length; i++) {
            if (i == bound || r.usable(i, tier[i], now)) {
                total += tier[i].scaledWeight(tier[i].effectiveWeight, nowMs);
            }
        }
        Peer b = tier[bound];
        if (b.currentWeight <= -(total - b.scaledWeight(b.spec.weight(), nowMs))) {
            return;
        }
        for (int i = 0; i < tier.length; i++) {
            Peer p = tier[i];
            if (i == bound || r.usable(i, p, now)) {
                p.currentWeight += p.scaledWeight(p.effectiveWeight, nowMs);
                if (p.effectiveWeight < p.spec.weight()) {
                    p.effectiveWeight++;
                }
            }
        }
        b.currentWeight -= total;
    }

    /**
     * One smooth-weighted round over the usable peers of the request's tier from {@code from} on
     * that also pass {@code among}; returns the winner's index (its current weight already reduced
     * by the round's total), or -1 when none took part.
     */
    static int smooth(BalancedRequest r, int from, IntPredicate among, long now) {
        Peer[] tier = r.tier;
        long nowMs = r.nowMillis();
        int best = -1;
        long total = 0;
        for (int i = from; i < tier.length; i++) {
            Peer p = tier[i];
            if (!r.usable(i, p, now) || !among.test(i)) {
                continue;
            }
            // Weights in thousandths: the same sequence as nginx's, and room for slow_start's ramp.
            long w = p.scaledWeight(p.effectiveWeight, nowMs);
            p.currentWeight += w;
            total += w;
            if (p.effectiveWeight < p.spec.weight()) {
                p.effectiveWeight++;
            }
            if (best < 0 || p.currentWeight > tier[best].currentWeight) {
                best = i;
            }
        }
        if (best >= 0) {
            tier[best].currentWeight -= total;
        }
        return best;
    }
}
