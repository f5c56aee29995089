package io.stampede.common;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A deadline on an event loop that is cheap to move: one scheduled task that, when it fires before
 * the current deadline, re-arms itself for the rest. Moving the deadline later (on every read, on
 * every request of a keep-alive connection) is a field write, not a timer; moving it earlier
 * reschedules. Only the loop's own thread may touch it.
 */
public final class LazyDeadline implements Deadline {
    private final EventExecutor loop;
    private final Runnable onExpiry;
    private final LongSupplier nanoClock;
    private ScheduledFuture<?> task;
    private long deadline;
    private long taskFires;

    public LazyDeadline(EventExecutor loop, Runnable onExpiry) {
        this(loop, onExpiry, System::nanoTime);
    }

    public LazyDeadline(EventExecutor loop, Runnable onExpiry, LongSupplier nanoClock) {
        this.loop = loop;
        this.onExpiry = onExpiry;
        this.nanoClock = nanoClock;
    }

    @Override
    public void arm(long nanos) {
        arm(nanos, nanos <= 0 ? 0 : nanoClock.getAsLong());
    }

    /**
     * {@inheritDoc} A request reads the clock a few times, not at every step, so the reading it
     * has is passed on.
     */
    @Override
    public void arm(long nanos, long now) {
        if (nanos <= 0) {
            deadline = 0;
            return;
        }
        deadline = now + nanos;
        if (task != null && deadline < taskFires) {
            task.cancel(false);
            task = null;
        }
        if (task == null) {
            taskFires = deadline;
            task = loop.schedule(this::check, nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** No deadline until the next {@link #arm}; the scheduled task, if any, stays for reuse. */
    @Override
    public void disarm() {
        deadline = 0;
    }

    /** No deadline, and no task left in the loop's queue (when the owner is done for good). */
    @Override
    public void cancel() {
        deadline = 0;
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }

    public boolean armed() {
        return deadline != 0;
    }

    private void check() {
        task = null;
        if (deadline == 0) {
            return;
        }
        long left = deadline - nanoClock.getAsLong();
        if (left > 0) {
            taskFires = deadline;
            task = loop.schedule(this::check, left, TimeUnit.NANOSECONDS);
            return;
        }
        deadline = 0;
        onExpiry.run();
    }
}
