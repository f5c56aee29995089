package io.stampede.balancer.upstream;

/**
 * nginx's ip_hash: the client's /24 (the first three octets of IPv4, all 16 bytes of IPv6) hashed
 * with {@code h = (h * 113 + byte) % 6271} from 89, landing in the weight ranges of the primary
 * servers. An unusable landing hashes the bytes again on the running value; after 20 such probes
 * the request falls back to round robin.
 */
final class IpHash implements PeerSelector {
    static final IpHash INSTANCE = new IpHash();

    private IpHash() {}

    /** The bytes ip_hash hashes for a client address. */
    static byte[] keyOf(java.net.InetAddress client) {
        byte[] a = client == null ? new byte[3] : client.getAddress();
        return a.length == 4 ? new byte[] {a[0], a[1], a[2]} : a;
    }

    @Override
    public void start(BalancedRequest r) {
        r.hash = 89;
    }

    @Override
    public Peer pick(BalancedRequest r, long now) {
        if (r.probes > 20 || r.singleOnPrimary() || r.inBackup) {
            return RoundRobin.get(r, now);
        }
        Peer[] peers = r.group.primary;
        long h = r.hash;
        while (true) {
            for (byte b : r.key) {
                h = (h * 113 + (b & 0xff)) % 6271;
            }
            int i = Weights.owner(r.group, h % r.group.primaryTotalWeight);
            if (r.usable(i, peers[i], now)) {
                r.hash = h;
                return r.picked(i, now);
            }
            if (++r.probes > 20) {
                return RoundRobin.get(r, now);
            }
        }
    }
}
