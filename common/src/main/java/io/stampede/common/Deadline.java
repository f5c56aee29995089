package io.stampede.common;

/** A deadline on an event loop, moved by its owner from that loop's thread only. */
public interface Deadline {
    /** Expires {@code nanos} from now (0 or less: never). */
    void arm(long nanos);

    /** Expires {@code nanos} after {@code now}, a reading of the deadline's clock taken for the same event. */
    void arm(long nanos, long now);

    /** No deadline until the next {@code arm}. */
    void disarm();

    /** No deadline, for good: the owner is done with it. */
    void cancel();
}
