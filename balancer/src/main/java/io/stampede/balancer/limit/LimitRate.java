package io.stampede.balancer.limit;

/**
 * nginx's {@code limit_rate} and {@code limit_rate_after}: a response goes to its client at most
 * {@code rate} bytes a second once its first {@code after} bytes went at full speed. As nginx
 * reckons it, the budget at any moment is the rate times the time since the response started,
 * plus one second's worth; a response ahead of its budget waits until it is back within.
 *
 * @param rate bytes per second, 0 for no limit
 * @param after bytes sent before the limit applies
 */
public record LimitRate(long rate, long after) {
    public static final LimitRate NONE = new LimitRate(0, 0);

    /**
     * How long to wait before sending more, in milliseconds (0: go on now).
     *
     * @param sent bytes of the response sent so far
     * @param elapsedNanos time since the response started
     */
    public long delayMillis(long sent, long elapsedNanos) {
        return delayMillis(rate, after, sent, elapsedNanos);
    }

    /** As {@link #delayMillis(long, long)}, with the rate given (an upstream's X-Accel-Limit-Rate may set it). */
    public static long delayMillis(long rate, long after, long sent, long elapsedNanos) {
        if (rate <= 0 || sent <= after) {
            return 0;
        }
        long elapsedMs = elapsedNanos / 1_000_000;
        // Budget: rate * (elapsed + 1 s); the excess over it, at the rate, is the wait.
        long budget = rate * (elapsedMs + 1000) / 1000;
        long excess = (sent - after) - budget;
        return excess <= 0 ? 0 : excess * 1000 / rate + 1;
    }
}
