package io.stampede.balancer.limit;

/**
 * nginx's leaky bucket ({@code ngx_http_limit_req_lookup}), in its own units: excess in
 * thousandths of a request, time in milliseconds, rate in requests per 1000 seconds. A pure
 * function of a key's state and the time, so tests drive it by hand.
 */
final class LeakyBucket {
    private LeakyBucket() {}

    /** A key's state: the excess left after its last accounted request, and when that was. */
    record State(long excess, long lastMillis) {}

    /**
     * The excess a request at {@code now} would have: the last excess leaked at the rate since,
     * plus this request (1000). A clock that went back a little counts as no time passing, one
     * that went back more than a minute as one millisecond, as nginx has it.
     */
    static long excess(State s, long now, long ratePerMille) {
        if (s == null) {
            return 0;
        }
        long ms = now - s.lastMillis();
        if (ms < -60_000) {
            ms = 1;
        } else if (ms < 0) {
            ms = 0;
        }
        return Math.max(0, s.excess() - ratePerMille * ms / 1000 + 1000);
    }

    /** The state once a request with {@code excess} passes at {@code now}: the time moves only if time passed. */
    static State passed(State s, long excess, long now) {
        if (s == null) {
            return new State(0, now);
        }
        return new State(excess, now != s.lastMillis() ? now : s.lastMillis());
    }

    /** How long a request that passed with {@code excess} waits: what goes past {@code delay} requests, at the rate. */
    static long delayMillis(long excess, long delay, long ratePerMille) {
        long allowed = delay >= LimitReq.NODELAY ? Long.MAX_VALUE : delay * 1000;
        return excess <= allowed ? 0 : (excess - allowed) * 1000 / ratePerMille;
    }
}
