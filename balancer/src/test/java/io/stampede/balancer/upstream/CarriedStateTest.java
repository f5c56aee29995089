package io.stampede.balancer.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A server's balancing state is a value: moved into a new peer, the new one balances as the old would have. */
class CarriedStateTest {
    private static PeerSpec spec(int port, int weight) {
        return PeerSpec.of("127.0.0.1:" + port, new InetSocketAddress("127.0.0.1", port), weight, 1, 10, 0, false, false,
                null, false, 0);
    }

    private static String picks(PeerGroup g, int n) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            BalancedRequest r = g.begin(new byte[0], 0);
            Peer p = r.next();
            out.append(p.spec().address().getPort() - 9000).append(' ');
            r.release(p, Outcome.OK);
        }
        return out.toString().trim();
    }

    @Test
    void anOldGroupStillBalancesAfterAReloadLowersAWeight() {
        List<Peer> peers = List.of(new Peer(spec(9001, 5)), new Peer(spec(9002, 1)));
        for (var method : List.of(Methods.ipHash(), Methods.hash(false), Methods.random(false, new java.util.Random(1)))) {
            PeerGroup old = new PeerGroup("u", peers, method, () -> 1000L);
            // The reload shares the servers, with weight 1 each: the old group's ranges must not change under it.
            PeerGroup next = new PeerGroup("u", PeerGroup.carryOver(old, List.of(spec(9001, 1), spec(9002, 1))), method,
                    () -> 1000L, 0, old);
            for (int i = 0; i < 200; i++) {
                byte[] key = new byte[] {127, 0, 0, (byte) i, (byte) i, (byte) (i >> 3)};
                BalancedRequest r = old.begin(key, 0);
                Peer p = r.next();
                assertThat(p).isIn(peers);
                r.release(p, Outcome.OK);
                BalancedRequest n = next.begin(key, 0);
                Peer q = n.next();
                assertThat(q).isIn(peers);
                n.release(q, Outcome.OK);
            }
        }
    }

    @Test
    void peersRebuiltFromTheirCarriedStateContinueTheRoundWhereItWas() {
        long[] now = {1000};
        List<Peer> old = List.of(new Peer(spec(9001, 5)), new Peer(spec(9002, 1)), new Peer(spec(9003, 1)));
        PeerGroup before = new PeerGroup("u", old, Methods.roundRobin(), () -> now[0]);
        String first = picks(before, 3);
        // Fail the second server once: it is out for fail_timeout, and that must carry over too.
        BalancedRequest r = before.begin(new byte[0], 0);
        Peer p;
        while ((p = r.next()) != old.get(1)) {
            r.release(p, Outcome.OK);
            r = before.begin(new byte[0], 0);
        }
        r.release(p, Outcome.FAILED);

        List<Peer> moved = old.stream().map(x -> new Peer(x.spec(), x.carry())).toList();
        PeerGroup after = new PeerGroup("u", moved, Methods.roundRobin(), () -> now[0]);
        PeerGroup control = before;
        assertThat(picks(after, 7)).as("the same sequence as the group it replaces (after %s)", first)
                .isEqualTo(picks(control, 7)).doesNotContain("2");
    }
}
