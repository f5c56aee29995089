package io.stampede.balancer.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Sticky sessions layered over every balancing method: bound requests go to their server while it can take them. */
class StickySelectorTest {
    private static final Map<String, PeerGroup.SelectorFactory> METHODS = Map.of(
            "round_robin", Methods.roundRobin(), "least_conn", Methods.leastConn(), "ip_hash", Methods.ipHash(),
            "hash", Methods.hash(false), "hash consistent", Methods.hash(true),
            "random two", Methods.random(true, new SplittableRandom(7)::nextLong));

    private static Peer peer(int port, String route, int maxFails) {
        return new Peer(PeerSpec.of("127.0.0.1:" + port, new InetSocketAddress("127.0.0.1", port), 1, maxFails, 10, 0,
                false, false, route, false, 0));
    }

    private static Peer pick(PeerGroup g, String sid, byte[] key) {
        BalancedRequest r = g.begin(key, 0);
        r.bind(sid);
        Peer p = r.next();
        r.release(p, Outcome.OK);
        return p;
    }

    @Test
    void everyMethodSendsABoundRequestToItsServerAndOthersAsUsual() {
        byte[] key = {10, 0, 0, 1};
        METHODS.forEach((name, method) -> {
            List<Peer> peers = List.of(peer(9101, "a", 1), peer(9102, "b", 1), peer(9103, "c", 1));
            PeerGroup g = new PeerGroup("u", peers, method, () -> 1000L);
            for (int i = 0; i < 5; i++) {
                assertThat(pick(g, "c", key)).as("%s: bound to c", name).isSameAs(peers.get(2));
            }
            assertThat(pick(g, "nobody", key)).as("%s: an unknown id balances as usual", name).isNotNull();

            // c fails once (max_fails=1): bound requests fall back to the method while it is out.
            BalancedRequest r = g.begin(key, 0);
            r.bind("c");
            Peer p = r.next();
            r.release(p, Outcome.FAILED);
            for (int i = 0; i < 5; i++) {
                assertThat(pick(g, "c", key)).as("%s: c is unavailable", name).isNotSameAs(peers.get(2));
            }
        });
    }

    @Test
    void roundRobinChargesTheBoundServerAsNginxDoes() {
        List<Peer> peers = List.of(peer(9201, "a", 1), peer(9202, "b", 1));
        PeerGroup g = new PeerGroup("u", peers, Methods.roundRobin(), () -> 1000L);
        // Two bound to a: the next unbound ones go to b, which the round now owes.
        pick(g, "a", new byte[0]);
        pick(g, "a", new byte[0]);
        assertThat(pick(g, null, new byte[0])).isSameAs(peers.get(1));
    }
}
