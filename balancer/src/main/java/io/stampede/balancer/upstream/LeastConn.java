package io.stampede.balancer.upstream;

/**
 * nginx's least_conn: the usable peer with the fewest active requests per unit of weight
 * ({@code conns / weight}, compared cross-multiplied); several tied peers are split by a smooth
 * weighted round among just them, so sequential requests go round robin.
 */
final class LeastConn implements PeerSelector {
    static final LeastConn INSTANCE = new LeastConn();

    private LeastConn() {}

    @Override
    public boolean supportsBackup() {
        return true;
    }

    @Override
    public Peer pick(BalancedRequest r, long now) {
        if (r.singleOnPrimary()) {
            return RoundRobin.get(r, now);
        }
        while (true) {
            Peer[] tier = r.tier;
            int best = -1;
            boolean many = false;
            for (int i = 0; i < tier.length; i++) {
                Peer p = tier[i];
                if (!r.usable(i, p, now)) {
                    continue;
                }
                if (best < 0 || (long) p.conns * tier[best].weight < (long) tier[best].conns * p.weight) {
                    best = i;
                    many = false;
                } else if ((long) p.conns * tier[best].weight == (long) tier[best].conns * p.weight) {
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
                Peer least = tier[best];
                best = RoundRobin.smooth(r, best,
                        i -> (long) tier[i].conns * least.weight == (long) least.conns * tier[i].weight, now);
            }
            return r.picked(best, now);
        }
    }
}
