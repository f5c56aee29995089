package io.stampede.loadgen.stats;

import org.HdrHistogram.Histogram;

/**
 * One endpoint's statistics at one moment: cumulative counts and latency histograms (from the
 * intended start, and service time from the send), and the rates of the last 10 seconds.
 */
public record EndpointStats(Endpoint endpoint, long requests, long failures, long bytes, Histogram latency,
                            Histogram service, double currentRps, double currentFailuresPerSecond) {

    /** A latency percentile in milliseconds (p in 0..100), or NaN when nothing was recorded. */
    public double percentileMs(double p) {
        return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(p) / 1000.0;
    }

    public double servicePercentileMs(double p) {
        return service.getTotalCount() == 0 ? Double.NaN : service.getValueAtPercentile(p) / 1000.0;
    }

    public double meanMs() {
        return latency.getTotalCount() == 0 ? 0 : latency.getMean() / 1000.0;
    }

    public double minMs() {
        return latency.getTotalCount() == 0 ? 0 : latency.getMinValue() / 1000.0;
    }

    public double maxMs() {
        return latency.getTotalCount() == 0 ? 0 : latency.getMaxValue() / 1000.0;
    }

    public double avgContentSize() {
        return requests == 0 ? 0 : (double) bytes / requests;
    }

    public double failRatio() {
        return requests == 0 ? 0 : (double) failures / requests;
    }
}
