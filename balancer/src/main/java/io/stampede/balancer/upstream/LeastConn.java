package io.stampede.balancer.upstream;

/**
 * nginx's least_conn: the usable peer with the least load per unit of weight ({@code conns /
 * weight}, compared cross-multiplied); several tied peers are split by a smooth weighted round
 * among just them, so sequential requests go round robin. With {@link Load#time} as the load it is
 * nginx Plus's least_time, which ties the same way.
 */
final class LeastConn implements PeerSelector {
    static final LeastConn INSTANCE = new LeastConn(Load.CONNS);

    private final Load load;

    LeastConn(Load load) {
        this.load = load;
    }

    @Override
    public Peer pick(BalancedRequest r, long now) {
        if (r.singleOnPrimary()) {
            return RoundRobin.get(r, now);
        }
        long nowMillis = r.group.nowMillis();
        while (true) {
            Peer[] tier = r.tier;
            long[] loads = new long[tier.length];
            long[] weights = new long[tier.length];
            int best = -1;
            boolean many = false;
            for (int i = 0; i < tier.length; i++) {
                Peer p = tier[i];
                if (!r.usable(i, p, now)) {
                    continue;
                }
                loads[i] = load.of(p, now, nowMillis);
                weights[i] = p.scaledWeight(p.spec.weight(), nowMillis);
                if (best < 0 || loads[i] * weights[best] < loads[best] * weights[i]) {
                    best = i;
                    many = false;
                } else if (loads[i] * weights[best] == loads[best] * weights[i]) {
                    many = true;
                }
            }
            if (best < 0) {
                if (!r.inBackup && r.group.backup.length > 0) {
                    r.switchToBackup();
                    continue;
                }
                return null;
            }
            if (many) {
                int first = best;
                best = RoundRobin.smooth(r, best,
                        i -> loads[i] * weights[first] == loads[first] * weights[i], now);
            }
            return r.picked(best, now);
        }
    }
}
