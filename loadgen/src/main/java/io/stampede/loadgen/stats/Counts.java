package io.stampede.loadgen.stats;

/** An endpoint's counters at one moment: requests answered, failures, bytes received. */
record Counts(long requests, long failures, long bytes) {
    static final Counts ZERO = new Counts(0, 0, 0);

    Counts plus(Counts o) {
        return new Counts(requests + o.requests, failures + o.failures, bytes + o.bytes);
    }

    Counts minus(Counts o) {
        return new Counts(requests - o.requests, failures - o.failures, bytes - o.bytes);
    }

    Counts withRequests(long n) {
        return new Counts(n, failures, bytes);
    }
}
