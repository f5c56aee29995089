package io.stampede.balancer.upstream;

/**
 * What "least loaded" means for least_conn, least_time and random two: a peer's load, compared
 * per unit of weight. Evaluated under the group's lock.
 */
interface Load {
    /** nginx's least_conn: the active requests. */
    Load CONNS = (p, now, nowMillis) -> p.conns;

    long of(Peer p, long now, long nowMillis);

    /**
     * nginx Plus's least_time: the expected time to answer, {@code rt x (1 + conns)}, where rt is
     * the peer's moving average (to the header, or to the last byte), halved for every
     * fail_timeout+1 seconds the peer went unpicked (so a server that was once slow is tried again),
     * raised to the average age of its requests in flight with {@code inflight}, and rounded up to
     * 20 ms buckets (5000 ms at most).
     */
    static Load time(boolean lastByte, boolean inflight) {
        return (p, now, nowMillis) -> {
            long rt = lastByte ? p.lastByteTimeMs : p.headerTimeMs;
            long idle = now - p.checked;
            if (idle > p.spec.failTimeout()) {
                rt >>= Math.min(62, idle / (p.spec.failTimeout() + 1));
            }
            if (inflight && p.conns > 0) {
                rt = Math.max(rt, nowMillis - p.inflightStartSumMs / p.conns);
            }
            rt = rt > 5000 ? 5000 : rt + 20 - rt % 20;
            return rt * (1 + p.conns);
        };
    }
}
