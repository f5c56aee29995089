package io.stampede.balancer.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Round robin and passive health against the sequences verified on nginx 1.22.1. */
class RoundRobinTest {

    static String picks(Sim sim, int n) {
        return sim.run(n, "").replace(" | ", " ");
    }

    @Test
    void smoothWeightedRoundRobinMatchesNginx() {
        assertThat(picks(new Sim(Methods.roundRobin(), "a weight=5", "b", "c"), 14)).isEqualTo("a a b a c a a a a b a c a a");
        assertThat(picks(new Sim(Methods.roundRobin(), "a weight=3", "b weight=2", "c"), 12)).isEqualTo("a b a c b a a b a c b a");
        assertThat(picks(new Sim(Methods.roundRobin(), "a", "b weight=2", "c weight=3", "d weight=4"), 10))
                .isEqualTo("d c b d a c d b c d");
        assertThat(picks(new Sim(Methods.roundRobin(), "a", "b", "c"), 6)).isEqualTo("a b c a b c");
        assertThat(picks(new Sim(Methods.roundRobin(), "a weight=2", "b"), 6)).isEqualTo("a b a a b a");
    }

    @Test
    void failuresWithoutWeightCutAreRetriedEveryOtherRequestUntilMaxFails() {
        Sim sim = new Sim(Methods.roundRobin(), "a weight=5", "X weight=5 max_fails=10 fail_timeout=60");
        String expected = String.join(" | ", java.util.Collections.nCopies(10, "a | X a")) + " | a | a | a";
        assertThat(sim.run(23, "X")).isEqualTo(expected);
    }

    @Test
    void failuresCutTheEffectiveWeightWhichRecoversOnePointPerRound() {
        Sim sim = new Sim(Methods.roundRobin(), "a weight=10", "X weight=10 max_fails=5 fail_timeout=60");
        assertThat(sim.run(13, "X")).isEqualTo("a | X a | a | X a | a | X a | a | X a | a | X a | a | a | a");

        Sim three = new Sim(Methods.roundRobin(), "a weight=3", "b weight=3", "X weight=6 max_fails=3 fail_timeout=60");
        assertThat(three.run(11, "X")).isEqualTo("X a | b | a | X b | b | a | X b | a | b | a | b");

        Sim plain = new Sim(Methods.roundRobin(), "a", "X max_fails=3 fail_timeout=30");
        assertThat(plain.run(8, "X")).isEqualTo("a | X a | a | X a | a | X a | a | a");
    }

    @Test
    void allPeersFailedMeansNoLiveUpstreamsUntilFailTimeoutPasses() {
        Sim sim = new Sim(Methods.roundRobin(), "X fail_timeout=3", "Y fail_timeout=3");
        StringBuilder seen = new StringBuilder();
        for (int second = 0; second <= 8; second++) {
            seen.append(sim.run(1, "XY")).append(second < 8 ? " | " : "");
            sim.now++;
        }
        assertThat(seen.toString()).isEqualTo(
                "X Y 502 | NOLIVE 502 | NOLIVE 502 | NOLIVE 502 | Y X 502 | NOLIVE 502 | NOLIVE 502 | NOLIVE 502 | Y X 502");
    }

    @Test
    void singleServerIsNeverExcluded() {
        Sim sim = new Sim(Methods.roundRobin(), "X");
        assertThat(sim.run(4, "X")).isEqualTo("X 502 | X 502 | X 502 | X 502");
    }

    @Test
    void backupsTakeOverWhileThePrimaryIsFailing() {
        Sim sim = new Sim(Methods.roundRobin(), "X", "b backup", "c backup");
        assertThat(sim.run(6, "X")).isEqualTo("X b | c | b | c | b | c");

        Sim down = new Sim(Methods.roundRobin(), "a down", "b backup weight=2", "c backup");
        assertThat(down.run(6, "")).isEqualTo("b | c | b | b | c | b");
    }

    @Test
    void failuresInterleavedWithSuccessesAccumulateWithinFailTimeout() {
        Sim sim = new Sim(Methods.roundRobin(), "F max_fails=3 fail_timeout=10", "G");
        int[] fConnections = {0};
        StringBuilder responders = new StringBuilder();
        int fServed = 0;
        for (int i = 0; i < 30; i++) {
            String attempts = sim.request(n -> {
                if (n.equals("F")) {
                    return ++fConnections[0] % 3 == 0 ? Sim.ERROR : 200;
                }
                return 200;
            });
            String responder = attempts.substring(attempts.length() - 1);
            responders.append(responder);
            fServed += responder.equals("F") ? 1 : 0;
        }
        assertThat(fServed).isEqualTo(6);
        assertThat(responders.toString()).startsWith("FGFGGGFGFGGGFGFGGG").endsWith("GGGGGGGGGGGG");
    }

    @Test
    void listedStatusesAreRetriedButTheLastTryIsPassedAndNotCounted() {
        Sim sim = new Sim(Methods.roundRobin(), "a", "b", "c");
        NextUpstream on500 = new NextUpstream(NextUpstream.parseMask("error timeout http_500 http_404"), 0, 0);
        String[] seen = new String[4];
        for (int i = 0; i < 4; i++) {
            seen[i] = sim.request(n -> 500, on500, new byte[0]);
        }
        assertThat(seen).containsExactly("a b c 500", "c NOLIVE 502", "NOLIVE 502", "NOLIVE 502");

        sim.now += 11;
        String[] notFound = new String[3];
        for (int i = 0; i < 3; i++) {
            notFound[i] = sim.request(n -> 404, on500, new byte[0]);
        }
        assertThat(notFound).containsExactly("c b a 404", "c a b 404", "b c a 404");

        NextUpstream twoTries = new NextUpstream(on500.mask(), 2, 0);
        assertThat(sim.request(n -> 500, twoTries, new byte[0])).isEqualTo("a c 500");
        assertThat(sim.request(n -> 500, twoTries, new byte[0])).isEqualTo("b c 500");
    }

    @Test
    void aFailedPeerGetsOneProbeAfterFailTimeoutAndSuccessBringsItBack() {
        Sim sim = new Sim(Methods.roundRobin(), "a", "b max_fails=1 fail_timeout=2");
        assertThat(sim.run(2, "b")).isEqualTo("a | b a");
        assertThat(sim.run(2, "")).isEqualTo("a | a");
        sim.now += 3;
        // b's weight was cut to 0: it earns one point a round, and its first pick is the probe.
        assertThat(sim.run(3, "")).isEqualTo("a | a | b");
        assertThat(sim.peers.get("b").fails).isZero();
        assertThat(sim.run(4, "")).isEqualTo("a | b | a | b");
    }

    @Test
    void maxConnsSpillsToBackup() {
        Sim sim = new Sim(Methods.roundRobin(), "p1 max_conns=2", "p2 backup");
        assertThat(sim.concurrent(6)).isEqualTo("p1p1p2p2p2p2");
    }
}
