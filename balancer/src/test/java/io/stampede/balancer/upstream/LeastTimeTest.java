package io.stampede.balancer.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** nginx Plus's least_time on a hand-driven clock: averages, buckets, in-flight load, decay. */
class LeastTimeTest {
    long seconds = 1_000;
    long millis = 1_000_000;
    final Peer a = new Peer(PeerSpec.plain(new InetSocketAddress("127.0.0.1", 1)));
    final Peer b = new Peer(PeerSpec.plain(new InetSocketAddress("127.0.0.1", 2)));

    PeerGroup group(boolean inflight) {
        PeerGroup g = new PeerGroup("u", List.of(a, b), Methods.leastTime(false, inflight), () -> seconds);
        g.millisClock(() -> millis);
        a.checked = seconds;
        b.checked = seconds;
        return g;
    }

    Peer pick(PeerGroup g) {
        return g.begin(new byte[0], 0).next();
    }

    @Test
    void theFasterAverageWinsUntilItsQueueMakesItSlower() {
        PeerGroup g = group(false);
        a.headerTimeMs = 100;
        b.headerTimeMs = 20;
        assertThat(pick(g)).isSameAs(b); // eta 40 (20 -> bucket 40) against 120
        assertThat(pick(g)).isSameAs(b); // b: 40 x 2 = 80 < 120
        assertThat(pick(g)).isSameAs(a); // b: 40 x 3 = 120 ties a: round robin among the tied picks a first
    }

    @Test
    void averagesMoveByFivePercentOfEachResponse() {
        PeerGroup g = group(false);
        BalancedRequest r = g.begin(new byte[0], 0);
        Peer p = r.next();
        r.release(p, Outcome.OK, 200, 100);
        assertThat(p.headerTimeMs).isEqualTo(100); // the first sample
        BalancedRequest r2 = g.begin(new byte[0], 0);
        Peer p2 = r2.next();
        assertThat(p2).isNotSameAs(p); // the other has no average yet: 20 against 120
        r2.release(p2, Outcome.OK, 200, 300);
        BalancedRequest r3 = g.begin(new byte[0], 0);
        Peer p3 = r3.next();
        assertThat(p3).isSameAs(p);
        r3.release(p3, Outcome.OK, 200, 300);
        assertThat(p.headerTimeMs).isEqualTo(110); // round(0.05 x 300 + 0.95 x 100)
        BalancedRequest failed = g.begin(new byte[0], 0);
        Peer p4 = failed.next();
        long before = p4.headerTimeMs;
        failed.release(p4, Outcome.FAILED, 0, -1);
        assertThat(p4.headerTimeMs).as("only successful attempts count").isEqualTo(before);
    }

    @Test
    void anIdleSlowServerDecaysSoItIsTriedAgain() {
        PeerGroup g = group(false);
        a.headerTimeMs = 2000;
        b.headerTimeMs = 100;
        assertThat(pick(g)).isSameAs(b);
        seconds += 45; // a unpicked for 45 s, fail_timeout 10: 2000 >> 4 = 125 -> 140; b picked just now
        b.checked = seconds;
        b.conns = 1;
        assertThat(pick(g)).isSameAs(a); // a 140 against b 120 x 2 = 240
    }

    @Test
    void inflightCountsTheAgeOfRequestsStillRunning() {
        PeerGroup g = group(true);
        a.headerTimeMs = 20;
        b.headerTimeMs = 60;
        Peer first = pick(g);
        assertThat(first).isSameAs(a);
        millis += 3_000; // a's request has run 3 s: its rt is now 3000, not 20
        assertThat(pick(g)).isSameAs(b);
    }
}
