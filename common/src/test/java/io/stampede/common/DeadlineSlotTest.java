package io.stampede.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A connection's one deadline lent to its requests in turn, on an embedded loop whose clock the test moves. */
class DeadlineSlotTest {
    final EmbeddedChannel channel = new EmbeddedChannel();
    final List<String> expired = new ArrayList<>();
    final DeadlineSlot slot;

    DeadlineSlotTest() {
        channel.freezeTime();
        slot = new DeadlineSlot(channel.eventLoop(), () -> channel.eventLoop().ticker().nanoTime());
    }

    private void advanceMs(long ms) {
        channel.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    private long now() {
        return channel.eventLoop().ticker().nanoTime();
    }

    @Test
    void theHolderHearsItsOwnExpiry() {
        Deadline first = slot.lend(() -> expired.add("first"));
        first.arm(TimeUnit.MILLISECONDS.toNanos(100));
        advanceMs(99);
        assertThat(expired).isEmpty();
        advanceMs(1);
        assertThat(expired).containsExactly("first");
    }

    @Test
    void aReturnedOrSupersededLeaseNeitherFiresNorSilencesTheNextHolder() {
        Deadline first = slot.lend(() -> expired.add("first"));
        first.arm(TimeUnit.MILLISECONDS.toNanos(50));
        first.cancel();
        Deadline second = slot.lend(() -> expired.add("second"));
        // The first request, finished, still touches its old lease: nothing happens to the second's.
        first.arm(TimeUnit.MILLISECONDS.toNanos(10));
        advanceMs(20);
        assertThat(expired).isEmpty();
        second.arm(TimeUnit.MILLISECONDS.toNanos(100), now());
        first.disarm();
        first.cancel();
        advanceMs(100);
        assertThat(expired).containsExactly("second");
        // Lending again without a return (an internal redirect's new request) retires the old lease too.
        Deadline third = slot.lend(() -> expired.add("third"));
        second.arm(TimeUnit.MILLISECONDS.toNanos(10));
        advanceMs(50);
        assertThat(expired).containsExactly("second");
        third.arm(TimeUnit.MILLISECONDS.toNanos(10));
        advanceMs(10);
        assertThat(expired).containsExactly("second", "third");
    }

    @Test
    void aLeaseStartsDisarmedAndAClosedSlotLeavesNothingBehind() {
        Deadline first = slot.lend(() -> expired.add("first"));
        first.arm(TimeUnit.MILLISECONDS.toNanos(10));
        slot.lend(() -> expired.add("second"));
        advanceMs(50);
        assertThat(expired).isEmpty();
        Deadline third = slot.lend(() -> expired.add("third"));
        third.arm(TimeUnit.MILLISECONDS.toNanos(10));
        slot.close();
        third.arm(TimeUnit.MILLISECONDS.toNanos(10));
        advanceMs(50);
        assertThat(expired).isEmpty();
        assertThat(channel.runScheduledPendingTasks()).as("nothing left scheduled").isEqualTo(-1);
    }
}
