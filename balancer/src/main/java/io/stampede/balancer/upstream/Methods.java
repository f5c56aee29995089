package io.stampede.balancer.upstream;

import io.stampede.balancer.config.directive.BalanceMethod;
import java.util.random.RandomGenerator;

/** The balancing methods, as factories for a {@link PeerGroup}. */
public final class Methods {
    private Methods() {}

    /**
     * The selector of a configured method: the one place that maps methods to selectors (the
     * switch is exhaustive, so a new method does not compile until it is mapped here).
     */
    public static PeerGroup.SelectorFactory of(BalanceMethod m, RandomGenerator random) {
        return switch (m.kind()) {
            case ROUND_ROBIN -> roundRobin();
            case LEAST_CONN -> leastConn();
            case IP_HASH -> ipHash();
            case HASH -> hash(((BalanceMethod.Hash) m).consistent());
            case RANDOM -> random(((BalanceMethod.Random) m).two(), random);
            case LEAST_TIME -> leastTime(((BalanceMethod.LeastTime) m).lastByte(), ((BalanceMethod.LeastTime) m).inflight());
            case RANDOM_TWO_LEAST_TIME -> randomTwoLeastTime(((BalanceMethod.RandomTwoLeastTime) m).lastByte(), random);
        };
    }

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
