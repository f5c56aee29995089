package io.stampede.balancer.upstream;

import io.stampede.common.wire.ProxyStatus.QueueStatus;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** nginx Plus's upstream queue, driven by hand: who waits, who is refused, who gets a freed server. */
class QueueTest {
    private final List<String> dispatched = new ArrayList<>();

    private static Peer peer(int port, int maxConns, boolean backup) {
        return new Peer(PeerSpec.of("127.0.0.1:" + port, new InetSocketAddress("127.0.0.1", port), 1, 1, 10, maxConns,
                backup, false, null, false, 0));
    }

    private BalancedRequest request(PeerGroup g, String name, Peer[] got) {
        BalancedRequest r = g.begin(new byte[0], 0);
        got[0] = r.nextOrWait(p -> dispatched.add(name + "->" + p.address().getPort()));
        return r;
    }

    @Test
    void requestsThatFindNoFreeServerWaitInOrderAndTheOverflowIsRefused() {
        Peer a = peer(1, 1, false);
        Peer b = peer(2, 1, false);
        PeerGroup g = new PeerGroup("u", List.of(a, b), Methods.roundRobin(), () -> 1000, 2);
        Peer[] got = new Peer[1];
        BalancedRequest r1 = request(g, "r1", got);
        Peer p1 = got[0];
        BalancedRequest r2 = request(g, "r2", got);
        Peer p2 = got[0];
        assertThat(List.of(p1, p2)).containsExactlyInAnyOrder(a, b);
        BalancedRequest r3 = request(g, "r3", got);
        assertThat(got[0]).isNull();
        assertThat(r3.rejected()).isFalse();
        request(g, "r4", got);
        assertThat(got[0]).isNull();
        BalancedRequest r5 = request(g, "r5", got);
        assertThat(got[0]).isNull();
        assertThat(r5.rejected()).as("the queue holds two").isTrue();
        assertThat(g.queueCounters()).isEqualTo(new QueueStatus(2, 2, 1));

        r2.release(p2, Outcome.OK);
        assertThat(dispatched).containsExactly("r3->" + p2.address().getPort());
        r1.release(p1, Outcome.OK);
        assertThat(dispatched).containsExactly("r3->" + p2.address().getPort(), "r4->" + p1.address().getPort());
        assertThat(g.queueCounters()).isEqualTo(new QueueStatus(0, 2, 1));
        assertThat(r1.leaveQueue(false)).as("not queued any more").isFalse();
        assertThat(r3.leaveQueue(true)).as("dispatched already").isFalse();
    }

    @Test
    void aRequestThatLeavesTheQueueIsSkippedAndATimeoutCountsAsAnOverflow() {
        Peer a = peer(1, 1, false);
        PeerGroup g = new PeerGroup("u", List.of(a), Methods.roundRobin(), () -> 1000, 5);
        Peer[] got = new Peer[1];
        BalancedRequest r1 = request(g, "r1", got);
        Peer held = got[0];
        BalancedRequest gone = request(g, "gone", got);
        BalancedRequest late = request(g, "late", got);
        request(g, "r4", got);
        assertThat(gone.leaveQueue(false)).isTrue();
        assertThat(late.leaveQueue(true)).isTrue();
        assertThat(g.queueCounters()).isEqualTo(new QueueStatus(1, 5, 1));
        r1.release(held, Outcome.OK);
        assertThat(dispatched).containsExactly("r4->1");
    }

    @Test
    void aNewRequestDoesNotJumpTheQueueAndAnUnusedServerPassesOn() {
        Peer a = peer(1, 1, false);
        PeerGroup g = new PeerGroup("u", List.of(a), Methods.leastConn(), () -> 1000, 5);
        Peer[] got = new Peer[1];
        BalancedRequest r1 = request(g, "r1", got);
        Peer held = got[0];
        BalancedRequest r2 = request(g, "r2", got);
        request(g, "r3", got);
        r1.release(held, Outcome.OK);
        assertThat(dispatched).containsExactly("r2->1");
        // r2's client left before it could use the server: given back untouched, r3 gets it.
        r2.release(a, Outcome.UNUSED);
        assertThat(dispatched).containsExactly("r2->1", "r3->1");
        BalancedRequest r4 = request(g, "r4", got);
        assertThat(got[0]).as("the server is r3's").isNull();
        assertThat(r4.rejected()).isFalse();
    }

    @Test
    void aWaitingRequestMayBeServedByABackupWhenOneFrees() {
        Peer a = peer(1, 1, false);
        Peer b = peer(2, 1, true);
        PeerGroup g = new PeerGroup("u", List.of(a, b), Methods.roundRobin(), () -> 1000, 5);
        Peer[] got = new Peer[1];
        request(g, "r1", got);
        assertThat(got[0]).isSameAs(a);
        BalancedRequest r2 = request(g, "r2", got);
        assertThat(got[0]).isSameAs(b);
        request(g, "r3", got);
        assertThat(got[0]).isNull();
        r2.release(b, Outcome.OK);
        assertThat(dispatched).containsExactly("r3->2");
    }

    @Test
    void withoutAQueueNoServerMeansNullAtOnce() {
        Peer a = peer(1, 1, false);
        PeerGroup g = new PeerGroup("u", List.of(a), Methods.roundRobin(), () -> 1000);
        Peer[] got = new Peer[1];
        request(g, "r1", got);
        BalancedRequest r2 = request(g, "r2", got);
        assertThat(got[0]).isNull();
        assertThat(g.queueing()).isFalse();
        assertThat(r2.rejected()).isFalse();
        assertThat(dispatched).isEmpty();
    }
}
