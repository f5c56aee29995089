package io.stampede.loadgen.engine;

/** The open model's arrival numbering: pure functions of a pacer and the time, for the swarm's arrival chains. */
final class Arrivals {
    private Arrivals() {}

    /**
     * The number of the first arrival not yet due {@code elapsed} nanoseconds after the schedule
     * started (the pacer's times are monotonic: a binary search).
     */
    static long firstNotDue(Pacer pacer, long elapsed) {
        long lo = 0;
        long hi = 1;
        while (due(pacer, hi, elapsed)) {
            lo = hi;
            hi *= 2;
        }
        while (lo < hi) {
            long mid = lo + (hi - lo) / 2;
            if (due(pacer, mid, elapsed)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static boolean due(Pacer p, long n, long elapsed) {
        long t = p.timeOf(n);
        return t >= 0 && t < elapsed;
    }
}
