package io.stampede.common;

import io.netty.util.concurrent.EventExecutor;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * The deadlines of one owner (a client connection's header, keep-alive, send and request
 * timeouts) on one scheduled task. The task is due at the earliest armed deadline; moving a
 * deadline later is a field write, as with {@link LazyDeadline}; when the task runs it ends the
 * deadlines that are due and sets itself for the earliest one left. A keep-alive connection thus
 * keeps one task in its loop's queue, idle or busy, instead of one per kind of timeout, each held
 * there until its own time came (about 200 bytes of heap an idle connection, and a larger queue
 * for every schedule and cancel under load). Only the loop's own thread may touch it.
 */
public final class DeadlineGroup {
    private final LazyDeadline timer;
    private final LongSupplier nanoClock;
    private Member[] members = new Member[3];
    private int size;
    /** When the timer is due, while it is armed. */
    private long timerAt;
    /** The expired deadlines are being run: what they arm is gathered when they are done. */
    private boolean running;

    public DeadlineGroup(EventExecutor loop) {
        this(loop, System::nanoTime);
    }

    public DeadlineGroup(EventExecutor loop, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.timer = new LazyDeadline(loop, this::due, nanoClock);
    }

    /** A new deadline of this owner, disarmed; {@code onExpiry} runs on the loop when it expires. */
    public Deadline add(Runnable onExpiry) {
        Member m = new Member(onExpiry);
        if (size == members.length) {
            members = Arrays.copyOf(members, size * 2);
        }
        members[size++] = m;
        return m;
    }

    /** The owner is done: no deadline of it fires again, and no task is left in the loop's queue. */
    public void cancel() {
        for (int i = 0; i < size; i++) {
            members[i].at = 0;
        }
        timer.cancel();
    }

    private void armed(long at, long now) {
        if (running) {
            return;
        }
        if (!timer.armed() || at - timerAt < 0) {
            timerAt = at;
            timer.arm(at - now, now);
        }
    }

    private void due() {
        running = true;
        try {
            long now = nanoClock.getAsLong();
            for (int i = 0; i < size; i++) {
                Member m = members[i];
                if (m.at != 0 && m.at - now <= 0) {
                    m.at = 0;
                    m.onExpiry.run();
                }
            }
        } finally {
            // Even after a callback that threw: the others keep their task.
            running = false;
            rearm();
        }
    }

    private void rearm() {
        long next = 0;
        for (int i = 0; i < size; i++) {
            long at = members[i].at;
            if (at != 0 && (next == 0 || at - next < 0)) {
                next = at;
            }
        }
        if (next != 0) {
            // Read again: the callbacks took time. One already due (armed with a tiny timeout, or
            // left by a callback that threw) runs at the next tick.
            long now = nanoClock.getAsLong();
            timerAt = next;
            timer.arm(Math.max(1, next - now), now);
        }
    }

    private final class Member implements Deadline {
        final Runnable onExpiry;
        /** When it expires; 0 when disarmed. */
        long at;

        Member(Runnable onExpiry) {
            this.onExpiry = onExpiry;
        }

        @Override
        public void arm(long nanos) {
            arm(nanos, nanos <= 0 ? 0 : nanoClock.getAsLong());
        }

        @Override
        public void arm(long nanos, long now) {
            if (nanos <= 0) {
                at = 0;
                return;
            }
            at = now + nanos;
            if (at == 0) {
                at = 1; // 0 means disarmed
            }
            armed(at, now);
        }

        /** The shared task stays for the others (and for this one's next arm). */
        @Override
        public void disarm() {
            at = 0;
        }

        @Override
        public void cancel() {
            at = 0;
        }
    }
}
