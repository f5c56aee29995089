package io.stampede.loadgen.stats;

import org.HdrHistogram.Histogram;

/**
 * The TLS handshakes of a run (https:// targets): how many, how many resumed a session, and how
 * long they took, from the TCP connection to the end of the handshake. Apart from the requests'
 * latency, which includes them when a request had to connect.
 */
public record Handshakes(long count, long resumed, Histogram time) {
    public static final Handshakes NONE = new Handshakes(0, 0, StatsCollector.newHistogram());

    public double percentileMs(double p) {
        return count == 0 ? 0 : time.getValueAtPercentile(p) / 1000.0;
    }

    public double maxMs() {
        return count == 0 ? 0 : time.getMaxValue() / 1000.0;
    }
}
