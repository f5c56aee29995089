package io.stampede.common;

import io.netty.util.concurrent.EventExecutor;
import java.util.function.LongSupplier;

/**
 * One deadline (a {@link LazyDeadline}, or a member of a {@link DeadlineGroup}) that a connection
 * lends to the holders it serves one after another (a keep-alive connection's requests), so a
 * request costs no timer of its own: the scheduled task stays in the loop's queue between
 * requests and moving it is a field write. Only the latest
 * {@link #lend lease} moves the deadline or hears it expire; one returned or superseded is inert,
 * so a finished request can never fire, or silence, the next one's timeout.
 */
public final class DeadlineSlot {
    private final Deadline deadline;
    private Lease current;

    public DeadlineSlot(EventExecutor loop) {
        this(loop, System::nanoTime);
    }

    public DeadlineSlot(EventExecutor loop, LongSupplier nanoClock) {
        this.deadline = new LazyDeadline(loop, this::expired, nanoClock);
    }

    /** A slot whose deadline is one of {@code group}'s (the connection's other timeouts share its task). */
    public DeadlineSlot(DeadlineGroup group) {
        this.deadline = group.add(this::expired);
    }

    /** The deadline for a new holder, disarmed; the previous lease stops working. */
    public Deadline lend(Runnable onExpiry) {
        deadline.disarm();
        current = new Lease(onExpiry);
        return current;
    }

    /**
     * The connection is done: no lease works again, and no task is left in the loop's queue (a
     * group's task goes when the group is cancelled).
     */
    public void close() {
        current = null;
        deadline.cancel();
    }

    private void expired() {
        Lease lease = current;
        if (lease != null) {
            lease.onExpiry.run();
        }
    }

    private final class Lease implements Deadline {
        final Runnable onExpiry;

        Lease(Runnable onExpiry) {
            this.onExpiry = onExpiry;
        }

        @Override
        public void arm(long nanos) {
            if (current == this) {
                deadline.arm(nanos);
            }
        }

        @Override
        public void arm(long nanos, long now) {
            if (current == this) {
                deadline.arm(nanos, now);
            }
        }

        @Override
        public void disarm() {
            if (current == this) {
                deadline.disarm();
            }
        }

        /** Given back: the slot keeps its task for the next holder. */
        @Override
        public void cancel() {
            if (current == this) {
                deadline.disarm();
                current = null;
            }
        }
    }
}
