package io.stampede.balancer.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** least_conn, ip_hash, hash and consistent hash against the sequences verified on nginx 1.22.1. */
class HashingMethodsTest {

    @Test
    void leastConnUnderConcurrencyMatchesNginx() {
        assertThat(new Sim(Methods.leastConn(), "a weight=2", "b").concurrent(9)).isEqualTo("ababaaaba");
        assertThat(new Sim(Methods.leastConn(), "a", "b", "c").concurrent(7)).isEqualTo("abccbaa");
    }

    @Test
    void leastConnWithSequentialRequestsIsRoundRobin() {
        assertThat(new Sim(Methods.leastConn(), "a weight=5", "b", "c").run(7, "").replace(" | ", ""))
                .isEqualTo("aabacaa");
    }

    @Test
    void leastConnPrefersTheLeastLoadedPerWeight() {
        Sim sim = new Sim(Methods.leastConn(), "a", "b");
        BalancedRequest held = sim.group.begin(new byte[0], 0);
        Peer first = held.next();
        assertThat(sim.names.get(first)).isEqualTo("a");
        // a holds one request, so the next three requests (each released) all go to b.
        assertThat(sim.run(3, "").replace(" | ", "")).isEqualTo("bbb");
    }

    @Test
    void ipHashMatchesNginxForIpv4AndIpv6Clients() throws UnknownHostException {
        assertThat(ipSequences("a", "b")).isEqualTo("bababababababababababababababa/babababababababababa");
        assertThat(ipSequences("a", "b", "c")).isEqualTo("abcabcabcabcabcabcabcabcabcabc/cabcabcabcabcabcabca");
        assertThat(ipSequences("a", "b weight=2", "c weight=3"))
                .isEqualTo("cccabbcccabbcccabbcccabbcccabb/cabbcccabbcccabbccca");
        assertThat(ipSequences("a", "b down", "c")).isEqualTo("aacaacaacaacaccaccaccaccaccacc/caccaacaacaacaccacca");
    }

    @Test
    void ipHashUsesTheFirstThreeOctets() throws UnknownHostException {
        Sim sim = new Sim(Methods.ipHash(), "a", "b", "c");
        // 192.168.1.10 hashes to 154 -> the second of three servers; the last octet does not matter.
        assertThat(sim.keys(i -> key("192.168.1." + i), 1, 5)).isEqualTo("bbbbb");
        assertThat(sim.keys(i -> key("10.0.0." + i), 1, 3)).isEqualTo("aaa");
    }

    @Test
    void hashMatchesNginxAndCacheMemcached() {
        assertThat(new Sim(Methods.hash(false), "a", "b", "c").keys(Sim::text, 1, 40))
                .isEqualTo("bcbabaaccacaccbcabbcbbcabbbbcabbacbbbbbc");
        assertThat(new Sim(Methods.hash(false), "a weight=2", "b weight=3", "c").keys(Sim::text, 1, 40))
                .isEqualTo("bcbaaabbcbbbbbabbbababcbbababbbaabababab");
        assertThat(new Sim(Methods.hash(false), "a", "b down", "c").keys(Sim::text, 1, 40))
                .isEqualTo("acaacaaccacaccacacaccacaaccacaccacacaacc");
    }

    @Test
    void hashRetryContinuesWithTheNextRehash() {
        Sim sim = new Sim(Methods.hash(false), "a", "b", "c");
        // key "1" lands on b; when b fails, crc32("11") moves the accumulator to a.
        assertThat(sim.request(n -> n.equals("b") ? Sim.ERROR : 200, NextUpstream.DEFAULT, Sim.text("1")))
                .isEqualTo("b a");
    }

    @Test
    void emptyHashKeyFallsBackToRoundRobin() {
        Sim sim = new Sim(Methods.hash(false), "a", "b", "c");
        assertThat(sim.keys(i -> new byte[0], 1, 6)).isEqualTo("abcabc");
    }

    @Test
    void consistentHashMatchesNginxKetama() {
        assertThat(new Sim(Methods.hash(true), "a", "b", "c").keys(Sim::text, 1, 40))
                .isEqualTo("aacbabccbbcbccbbcbbbaccbaabcbabcaabbcbaa");
        assertThat(new Sim(Methods.hash(true), "a weight=2", "b weight=3", "c").keys(Sim::text, 1, 40))
                .isEqualTo("aacbaaacbbcbacaacbbbaacbbabcbabbaabbabba");
        assertThat(new Sim(Methods.hash(true), "a", "b down", "c").keys(Sim::text, 1, 40))
                .isEqualTo("aaccaaccaacacccccaaaaccaaaaccaacaacaccaa");
    }

    @Test
    void ketamaPointsAreNginxs() {
        KetamaRing ring = new KetamaRing(new Peer[] {new Peer(
                PeerSpec.plain(new java.net.InetSocketAddress("127.0.0.1", 8080)))});
        assertThat(ring.size()).isEqualTo(160);
        java.util.Set<Long> points = new java.util.HashSet<>();
        for (int i = 0; i < ring.size(); i++) {
            points.add(ring.pointAt(i));
        }
        assertThat(points).contains(0x6dca9547L, 0x92c7adf9L, 0xddbeb1b8L);
    }

    @Test
    void randomFollowsTheWeights() {
        SplittableRandom seeded = new SplittableRandom(42);
        Sim sim = new Sim(Methods.random(false, seeded::nextLong), "a", "b weight=3");
        String picks = sim.keys(i -> new byte[0], 1, 40_000);
        long b = picks.chars().filter(c -> c == 'b').count();
        assertThat(b / 40_000.0).isCloseTo(0.75, org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void randomTwoPicksTheLessLoadedOfTwo() {
        SplittableRandom seeded = new SplittableRandom(7);
        Sim sim = new Sim(Methods.random(true, seeded::nextLong), "a", "b", "c");
        // Hold requests without releasing: two random peers, the one with fewer requests wins, so
        // load never differs by more than the two-choice bound.
        String picks = sim.concurrent(300);
        long a = picks.chars().filter(c -> c == 'a').count();
        long b = picks.chars().filter(c -> c == 'b').count();
        long c = picks.chars().filter(ch -> ch == 'c').count();
        assertThat(Math.max(a, Math.max(b, c)) - Math.min(a, Math.min(b, c))).isLessThanOrEqualTo(2);
    }

    @Test
    void randomNeverRepicksATriedPeer() {
        SplittableRandom seeded = new SplittableRandom(3);
        Sim sim = new Sim(Methods.random(false, seeded::nextLong), "a", "b", "c");
        for (int i = 0; i < 50; i++) {
            String attempts = sim.request(n -> Sim.ERROR, new NextUpstream(NextUpstream.ERROR, 0, 0), new byte[0]);
            String[] parts = attempts.split(" ");
            assertThat(java.util.Set.of(parts)).hasSize(parts.length);
            sim.now += 100;
        }
    }

    private static String ipSequences(String... servers) throws UnknownHostException {
        Sim v4 = new Sim(Methods.ipHash(), servers);
        String four = v4.keys(i -> key("127.0." + i + ".2"), 1, 30);
        Sim v6 = new Sim(Methods.ipHash(), servers);
        String six = v6.keys(i -> key("::" + Integer.toHexString(i)), 1, 20);
        return four + "/" + six;
    }

    private static byte[] key(String address) {
        try {
            return Methods.ipHashKey(InetAddress.getByName(address));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
