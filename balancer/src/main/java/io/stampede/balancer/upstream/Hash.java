package io.stampede.balancer.upstream;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * nginx's generic {@code hash $key} (compatible with Cache::Memcached): the accumulator grows by
 * {@code (crc32([rehash] key) >> 16) & 0x7fff} on every landing, with the decimal rehash count
 * prefixed from the second landing on; the accumulator modulo the total primary weight picks the
 * server. An empty key, a single server, or more than 20 unusable landings mean round robin.
 */
final class Hash implements PeerSelector {
    static final Hash INSTANCE = new Hash();

    private Hash() {}

    @Override
    public Peer pick(BalancedRequest r, long now) {
        if (r.probes > 20 || r.singleOnPrimary() || r.key.length == 0 || r.inBackup) {
            return RoundRobin.get(r, now);
        }
        Peer[] peers = r.group.primary;
        CRC32 crc = new CRC32();
        while (true) {
            crc.reset();
            if (r.rehash > 0) {
                crc.update(Integer.toString(r.rehash).getBytes(StandardCharsets.US_ASCII));
            }
            crc.update(r.key);
            r.hash = (r.hash + ((crc.getValue() >>> 16) & 0x7fff)) & 0xffffffffL;
            r.rehash++;
            int i = Weights.owner(r.group, r.hash % r.group.primaryTotalWeight);
            if (r.usable(i, peers[i], now)) {
                return r.picked(i, now);
            }
            if (++r.probes > 20) {
                return RoundRobin.get(r, now);
            }
        }
    }
}
