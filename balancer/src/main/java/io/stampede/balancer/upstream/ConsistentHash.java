package io.stampede.balancer.upstream;

/**
 * nginx's {@code hash $key consistent}: the key's crc32 finds the next point on the ketama ring;
 * the peers written as that point's server (several when a name resolved to several addresses)
 * are balanced by a smooth weighted round; when none is usable the walk moves to the next point,
 * up to 20 times, then round robin. The ring position is kept for the request's retries.
 */
final class ConsistentHash implements PeerSelector {
    private final KetamaRing ring;

    ConsistentHash(PeerGroup group) {
        this.ring = new KetamaRing(group.primary);
    }

    @Override
    public void start(BalancedRequest r) {
        r.ringIndex = ring.find(r.key);
    }

    @Override
    public Peer pick(BalancedRequest r, long now) {
        if (r.probes > 20 || r.singleOnPrimary() || r.key.length == 0 || r.inBackup) {
            return RoundRobin.get(r, now);
        }
        Peer[] peers = r.group.primary;
        while (true) {
            String server = ring.serverAt(r.ringIndex);
            int best = RoundRobin.smooth(r, 0, i -> peers[i].spec.server().equals(server), now);
            if (best >= 0) {
                return r.picked(best, now);
            }
            r.ringIndex++;
            if (++r.probes > 20) {
                return RoundRobin.get(r, now);
            }
        }
    }
}
