package io.stampede.loadgen.stats;

import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Everything the reporters need at one moment, immutable: per-endpoint and total statistics, the
 * failures, the dropped arrivals, the users running, and the last interval's histograms (for the
 * HdrHistogram log).
 *
 * @param elapsedSeconds since the stats started (or were last reset)
 * @param exceptions tasks abandoned, by message (Locust's exceptions: not requests)
 * @param handshakes TLS handshakes so far (none for http:// targets)
 */
public record StatsSnapshot(long epochMillis, double elapsedSeconds, int users, List<EndpointStats> endpoints,
                            EndpointStats total, Map<ErrorKey, Long> errors, Map<String, Long> exceptions, long dropped,
                            Map<Endpoint, Histogram> interval, Histogram intervalTotal, Handshakes handshakes) {

    public StatsSnapshot(long epochMillis, double elapsedSeconds, int users, List<EndpointStats> endpoints,
                         EndpointStats total, Map<ErrorKey, Long> errors, Map<String, Long> exceptions, long dropped,
                         Map<Endpoint, Histogram> interval, Histogram intervalTotal) {
        this(epochMillis, elapsedSeconds, users, endpoints, total, errors, exceptions, dropped, interval, intervalTotal,
                Handshakes.NONE);
    }

    public double rps() {
        return elapsedSeconds <= 0 ? 0 : total.requests() / elapsedSeconds;
    }

    public double rps(EndpointStats e) {
        return elapsedSeconds <= 0 ? 0 : e.requests() / elapsedSeconds;
    }

    public double failuresPerSecond(EndpointStats e) {
        return elapsedSeconds <= 0 ? 0 : e.failures() / elapsedSeconds;
    }
}
