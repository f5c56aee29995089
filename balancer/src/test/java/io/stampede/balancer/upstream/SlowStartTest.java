package io.stampede.balancer.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** nginx Plus's slow_start: a server back from a failure gets its weight back linearly. */
class SlowStartTest {
    long seconds = 1_000;
    long millis = 1_000_000;
    final Peer a = new Peer(PeerSpec.of("127.0.0.1:1", new InetSocketAddress("127.0.0.1", 1), 1, 1, 10, 0, false, false,
            null, false, 0));
    final Peer b = new Peer(PeerSpec.of("127.0.0.1:2", new InetSocketAddress("127.0.0.1", 2), 1, 1, 10, 0, false, false,
            null, false, 10_000));

    int picksOfB(PeerGroup g, int n) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            BalancedRequest r = g.begin(new byte[0], 0);
            Peer p = r.next();
            count += p == b ? 1 : 0;
            r.release(p, Outcome.OK);
        }
        return count;
    }

    void failB(PeerGroup g) {
        while (true) {
            BalancedRequest r = g.begin(new byte[0], 0);
            Peer p = r.next();
            if (p == b) {
                r.release(p, Outcome.FAILED);
                return;
            }
            r.release(p, Outcome.OK);
        }
    }

    void advance(long ms) {
        millis += ms;
        seconds = millis / 1000;
    }

    @Test
    void theWeightRampsFromNearZeroToFullOverTheSlowStart() {
        for (PeerGroup.SelectorFactory method : List.of(Methods.roundRobin(), Methods.leastConn())) {
            PeerGroup g = new PeerGroup("u", List.of(a, b), method, () -> seconds);
            g.millisClock(() -> millis);
            assertThat(picksOfB(g, 100)).as("before any failure: an even split").isEqualTo(50);
            failB(g);
            assertThat(picksOfB(g, 20)).as("unavailable for fail_timeout").isZero();
            advance(11_000); // back: the ramp starts when it is next usable
            assertThat(picksOfB(g, 100)).as("at the start of the ramp").isLessThanOrEqualTo(1);
            advance(5_000); // half way: weight 0.5 against 1
            assertThat(picksOfB(g, 99)).isBetween(30, 36);
            advance(5_000); // done
            assertThat(picksOfB(g, 100)).isEqualTo(50);
        }
    }
}
