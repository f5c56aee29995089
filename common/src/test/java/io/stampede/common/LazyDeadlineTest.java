package io.stampede.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The lazy deadline, on an embedded event loop whose clock the test moves by hand. */
class LazyDeadlineTest {
    final EmbeddedChannel channel = new EmbeddedChannel();
    final AtomicInteger expired = new AtomicInteger();
    final LazyDeadline deadline;

    LazyDeadlineTest() {
        channel.freezeTime();
        deadline = new LazyDeadline(channel.eventLoop(), expired::incrementAndGet,
                () -> channel.eventLoop().ticker().nanoTime());
    }

    private void advanceMs(long ms) {
        channel.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void expiresOnceAtItsDeadline() {
        deadline.arm(TimeUnit.MILLISECONDS.toNanos(100));
        advanceMs(99);
        assertThat(expired).hasValue(0);
        advanceMs(1);
        assertThat(expired).hasValue(1);
        advanceMs(1000);
        assertThat(expired).hasValue(1);
    }

    @Test
    void movingTheDeadlineLaterPostponesExpiry() {
        deadline.arm(TimeUnit.MILLISECONDS.toNanos(100));
        advanceMs(60);
        deadline.arm(TimeUnit.MILLISECONDS.toNanos(100)); // now due at 160
        advanceMs(60);
        assertThat(expired).hasValue(0);
        advanceMs(40);
        assertThat(expired).hasValue(1);
    }

    @Test
    void movingTheDeadlineEarlierTakesEffect() {
        deadline.arm(TimeUnit.SECONDS.toNanos(60));
        deadline.arm(TimeUnit.MILLISECONDS.toNanos(10));
        advanceMs(10);
        assertThat(expired).hasValue(1);
    }

    @Test
    void disarmedOrCancelledNeverExpires() {
        deadline.arm(TimeUnit.MILLISECONDS.toNanos(10));
        deadline.disarm();
        advanceMs(50);
        assertThat(expired).hasValue(0);
        deadline.arm(TimeUnit.MILLISECONDS.toNanos(10));
        deadline.cancel();
        advanceMs(50);
        assertThat(expired).hasValue(0);
        assertThat(deadline.armed()).isFalse();
    }
}
