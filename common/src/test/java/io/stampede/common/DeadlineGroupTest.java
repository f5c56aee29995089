package io.stampede.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A connection's timeouts on one task, on an embedded loop whose clock the test moves. */
class DeadlineGroupTest {
    final EmbeddedChannel channel = new EmbeddedChannel();
    final List<String> expired = new ArrayList<>();
    final DeadlineGroup group;

    DeadlineGroupTest() {
        channel.freezeTime();
        group = new DeadlineGroup(channel.eventLoop(), () -> channel.eventLoop().ticker().nanoTime());
    }

    /** Moves the clock and runs what is due; returns the milliseconds to the next task, or -1 for none. */
    private long advanceMs(long ms) {
        channel.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        long next = channel.runScheduledPendingTasks();
        return next < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(next);
    }

    private static long ms(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }

    @Test
    void eachDeadlineExpiresAtItsOwnTimeOnOneTask() {
        Deadline head = group.add(() -> expired.add("head"));
        Deadline send = group.add(() -> expired.add("send"));
        send.arm(ms(300));
        head.arm(ms(100));
        // One task, due at the earlier of the two.
        assertThat(advanceMs(0)).isEqualTo(100);
        assertThat(advanceMs(99)).isEqualTo(1);
        assertThat(expired).isEmpty();
        assertThat(advanceMs(1)).isEqualTo(200);
        assertThat(expired).containsExactly("head");
        assertThat(advanceMs(200)).isEqualTo(-1);
        assertThat(expired).containsExactly("head", "send");
    }

    @Test
    void aDeadlineMovedLaterWaitsForItsNewTimeAndOneMovedEarlierIsHeard() {
        Deadline keepAlive = group.add(() -> expired.add("keep-alive"));
        keepAlive.arm(ms(100));
        advanceMs(60);
        keepAlive.arm(ms(100)); // the next request: a field write, the task stays where it was
        assertThat(advanceMs(40)).isEqualTo(60); // the task ran early, found nothing due, and moved on
        assertThat(expired).isEmpty();
        keepAlive.arm(ms(10)); // earlier than the task: the task moves
        assertThat(advanceMs(0)).isEqualTo(10);
        advanceMs(10);
        assertThat(expired).containsExactly("keep-alive");
    }

    @Test
    void aDisarmedDeadlineNeverExpiresAndTheOthersStillDo() {
        Deadline head = group.add(() -> expired.add("head"));
        Deadline exchange = group.add(() -> expired.add("exchange"));
        head.arm(ms(50));
        exchange.arm(ms(80));
        head.disarm();
        advanceMs(50);
        assertThat(expired).isEmpty();
        assertThat(advanceMs(30)).isEqualTo(-1);
        assertThat(expired).containsExactly("exchange");
        exchange.arm(ms(10));
        exchange.cancel(); // a member's cancel is a disarm: the group keeps its task for the others
        head.arm(ms(20));
        advanceMs(20);
        assertThat(expired).containsExactly("exchange", "head");
        head.arm(0); // zero or less: never
        assertThat(advanceMs(1000)).isEqualTo(-1);
        assertThat(expired).hasSize(2);
    }

    @Test
    void whatAnExpiryArmsIsHeardOnTime() {
        Deadline send = group.add(() -> expired.add("send"));
        Deadline head = group.add(() -> {
            expired.add("head");
            send.arm(ms(5)); // the 408 page goes out, with its send timeout
        });
        head.arm(ms(10));
        advanceMs(10);
        assertThat(expired).containsExactly("head");
        assertThat(advanceMs(4)).isEqualTo(1);
        advanceMs(1);
        assertThat(expired).containsExactly("head", "send");
    }

    @Test
    void aCallbackThatThrowsLeavesTheOthersTheirTask() {
        Deadline failing = group.add(() -> {
            expired.add("failing");
            throw new IllegalStateException("a defect in one timeout's handling");
        });
        Deadline keepAlive = group.add(() -> expired.add("keep-alive"));
        failing.arm(ms(10));
        keepAlive.arm(ms(50));
        assertThat(advanceMs(10)).isEqualTo(40);
        assertThat(expired).containsExactly("failing");
        advanceMs(40);
        assertThat(expired).containsExactly("failing", "keep-alive");
    }

    @Test
    void theOwnerDoneLeavesNoTaskAndNothingFires() {
        Deadline head = group.add(() -> expired.add("head"));
        Deadline send = group.add(() -> {
            expired.add("send");
            group.cancel(); // the send timeout closes the connection
        });
        head.arm(ms(100));
        send.arm(ms(10));
        assertThat(advanceMs(10)).isEqualTo(-1);
        assertThat(expired).containsExactly("send");
        advanceMs(1000);
        assertThat(expired).containsExactly("send");

        head.arm(ms(10));
        group.cancel();
        assertThat(advanceMs(0)).isEqualTo(-1);
        advanceMs(100);
        assertThat(expired).containsExactly("send");
    }

    @Test
    void aSlotLentFromTheGroupSharesItsTask() {
        DeadlineSlot slot = new DeadlineSlot(group);
        Deadline head = group.add(() -> expired.add("head"));
        head.arm(ms(100));
        Deadline first = slot.lend(() -> expired.add("first"));
        first.arm(ms(30));
        assertThat(advanceMs(0)).isEqualTo(30);
        first.cancel();
        Deadline second = slot.lend(() -> expired.add("second"));
        second.arm(ms(50));
        advanceMs(30);
        assertThat(expired).isEmpty();
        advanceMs(20);
        assertThat(expired).containsExactly("second");
        slot.close();
        advanceMs(50);
        assertThat(expired).containsExactly("second", "head");
    }
}
