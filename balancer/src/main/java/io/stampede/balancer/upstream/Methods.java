package io.stampede.balancer.upstream;

import java.util.random.RandomGenerator;

/** The balancing methods, as factories for a {@link PeerGroup}. */
public final class Methods {
    private Methods() {}

    public static PeerGroup.SelectorFactory roundRobin() {
        return g -> RoundRobin.INSTANCE;
    }

    public static PeerGroup.SelectorFactory leastConn() {
        return g -> LeastConn.INSTANCE;
    }

    /** The caller passes {@link #ipHashKey} of the client address as the request key. */
    public static PeerGroup.SelectorFactory ipHash() {
        return g -> IpHash.INSTANCE;
    }

    public static PeerGroup.SelectorFactory hash(boolean consistent) {
        return consistent ? ConsistentHash::new : g -> Hash.INSTANCE;
    }

    public static PeerGroup.SelectorFactory random(boolean two, RandomGenerator random) {
        return g -> new RandomPick(two, random);
    }

    /** nginx Plus's {@code least_time header|last_byte [inflight]}. */
    public static PeerGroup.SelectorFactory leastTime(boolean lastByte, boolean inflight) {
        return g -> new LeastConn(Load.time(lastByte, inflight));
    }

    /** {@code random two least_time=header|last_byte}. */
    public static PeerGroup.SelectorFactory randomTwoLeastTime(boolean lastByte, RandomGenerator random) {
        return g -> new RandomPick(true, random, Load.time(lastByte, false));
    }

    public static byte[] ipHashKey(java.net.InetAddress client) {
        return IpHash.keyOf(client);
    }
}
