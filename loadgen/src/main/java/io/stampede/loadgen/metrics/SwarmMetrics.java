package io.stampede.loadgen.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.stampede.loadgen.run.RunSession;
import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * The swarm's Prometheus metrics ({@code GET /metrics} on the web UI, or {@code --metrics-port}):
 * the run's gauges and counters are Micrometer meters reading the current run; the per-endpoint
 * series are written from the run's latest statistics snapshot (taken once a second), in the
 * same text format, so every figure comes from the HdrHistograms the tables and CSVs use.
 *
 * <p>Latency and service time are Prometheus histograms with bounds from 0.5 ms to 60 s, at most
 * 1.5x apart up to 30 s: the count at each bound is HdrHistogram's (three significant digits), so a
 * quantile that {@code histogram_quantile} estimates lies within its bucket, and the exact
 * percentiles are exported beside them as gauges. Counters start again at zero when the
 * statistics are reset (after a warm-up, or a new test from the web UI), which Prometheus's
 * {@code rate()} and {@code increase()} read as a counter reset.
 */
public final class SwarmMetrics {
    /** Upper bounds of the latency buckets, seconds. */
    static final double[] BOUNDS = {0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02,
        0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 60};
    private static final double[] QUANTILES = {0.5, 0.9, 0.95, 0.99, 0.999};

    private final Supplier<RunSession> run;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    /** @param run the current run, or null before the first (web mode) */
    public SwarmMetrics(Supplier<RunSession> run) {
        this.run = run;
        Gauge.builder("stampede.swarm.users", this, m -> m.snapshotValue(s -> s.users()))
                .description("Virtual users running").register(registry);
        FunctionCounter.builder("stampede.swarm.dropped.arrivals", this, m -> m.snapshotValue(s -> s.dropped()))
                .description("Open model: arrivals that found no free user and were dropped").register(registry);
        FunctionCounter.builder("stampede.swarm.tls.handshakes", this, m -> m.snapshotValue(s -> s.handshakes().count()))
                .description("TLS handshakes completed").register(registry);
        FunctionCounter.builder("stampede.swarm.tls.handshakes.resumed", this, m -> m.snapshotValue(s -> s.handshakes().resumed()))
                .description("TLS handshakes that resumed a session").register(registry);
        Gauge.builder("stampede.swarm.arrival.lag", this, m -> m.runValue(r -> r.health().lastLagMs() / 1000.0))
                .baseUnit("seconds").description("How late the generator's event loops ran in the last second:"
                        + " arrivals and sends start late by as much").register(registry);
        Gauge.builder("stampede.swarm.generator.cpu", this, m -> m.runValue(r -> r.health().lastCpu()))
                .baseUnit("ratio").description("The generator process's CPU use in the last second (1 = every core)")
                .register(registry);
        Gauge.builder("stampede.swarm.generator.saturated", this, m -> m.runValue(r -> r.health().saturated() ? 1 : 0))
                .description("1 once the generator's loops ran late second after second (its own delay is in the latencies)")
                .register(registry);
        Gauge.builder("stampede.swarm.running", this, m -> m.runValue(r -> r.stopped() ? 0 : 1))
                .description("1 while a test runs").register(registry);
    }

    /** The latency buckets' upper bounds, seconds (+Inf besides). */
    public static double[] bounds() {
        return BOUNDS.clone();
    }

    private double runValue(ToDoubleFunction<RunSession> f) {
        RunSession r = run.get();
        return r == null ? 0 : f.applyAsDouble(r);
    }

    private double snapshotValue(ToDoubleFunction<StatsSnapshot> f) {
        RunSession r = run.get();
        StatsSnapshot s = r == null ? null : r.last();
        return s == null ? 0 : f.applyAsDouble(s);
    }

    /** The text exposition format. */
    public String scrape() {
        StringBuilder out = new StringBuilder(registry.scrape());
        RunSession r = run.get();
        StatsSnapshot s = r == null ? null : r.last();
        List<EndpointStats> endpoints = s == null ? List.of() : s.endpoints();
        head(out, "stampede_swarm_requests_total", "counter", "Requests sent and answered or failed, per endpoint");
        for (EndpointStats e : endpoints) {
            series(out, "stampede_swarm_requests_total", e, null, e.requests());
        }
        head(out, "stampede_swarm_failures_total", "counter", "Requests that failed (errors, failed checks), per endpoint");
        for (EndpointStats e : endpoints) {
            series(out, "stampede_swarm_failures_total", e, null, e.failures());
        }
        head(out, "stampede_swarm_response_bytes_total", "counter", "Response body bytes received, per endpoint");
        for (EndpointStats e : endpoints) {
            series(out, "stampede_swarm_response_bytes_total", e, null, e.bytes());
        }
        histogram(out, "stampede_swarm_latency_seconds",
                "Response time from each request's intended start (coordinated omission corrected)", endpoints, EndpointStats::latency);
        histogram(out, "stampede_swarm_service_time_seconds", "Response time from the moment each request was sent",
                endpoints, EndpointStats::service);
        List<EndpointStats> withTotal = new ArrayList<>(endpoints);
        if (s != null) {
            withTotal.add(s.total());
        }
        head(out, "stampede_swarm_latency_percentile_seconds", "gauge",
                "Exact latency percentiles since the statistics started (HdrHistogram), per endpoint and Aggregated");
        for (EndpointStats e : withTotal) {
            if (e.latency().getTotalCount() > 0) {
                for (double q : QUANTILES) {
                    series(out, "stampede_swarm_latency_percentile_seconds", e, "quantile=\"" + q + "\"",
                            e.latency().getValueAtPercentile(q * 100) / 1e6);
                }
            }
        }
        return out.toString();
    }

    private interface HistogramOf {
        Histogram of(EndpointStats e);
    }

    private static void histogram(StringBuilder out, String name, String help, List<EndpointStats> endpoints, HistogramOf which) {
        head(out, name, "histogram", help);
        for (EndpointStats e : endpoints) {
            Histogram h = which.of(e);
            long[] counts = new long[BOUNDS.length];
            double sum = 0;
            // One pass over the recorded values (microseconds) with an iterator of its own: the
            // histogram's shared one (getMean) is the statistics thread's. Each HdrHistogram bucket
            // is counted under the first bound its lowest value fits, so a value recorded exactly
            // at a bound counts under it.
            for (HistogramIterationValue v : h.recordedValues()) {
                long value = v.getValueIteratedTo();
                double seconds = h.lowestEquivalentValue(value) / 1e6;
                sum += h.medianEquivalentValue(value) / 1e6 * v.getCountAtValueIteratedTo();
                int b = 0;
                while (b < BOUNDS.length && seconds > BOUNDS[b]) {
                    b++;
                }
                if (b < BOUNDS.length) {
                    counts[b] += v.getCountAtValueIteratedTo();
                }
            }
            long cumulative = 0;
            for (int b = 0; b < BOUNDS.length; b++) {
                cumulative += counts[b];
                series(out, name + "_bucket", e, "le=\"" + bound(BOUNDS[b]) + "\"", cumulative);
            }
            long total = h.getTotalCount();
            series(out, name + "_bucket", e, "le=\"+Inf\"", total);
            series(out, name + "_count", e, null, total);
            series(out, name + "_sum", e, null, sum);
        }
    }

    /** A bound as Prometheus clients write it: 0.0005, not 5.0E-4. */
    static String bound(double b) {
        return java.math.BigDecimal.valueOf(b).toPlainString();
    }

    private static void head(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    /** One line: the endpoint's labels (Prometheus's sorted order), then {@code extra} when given. */
    private static void series(StringBuilder out, String name, EndpointStats e, String extra, double value) {
        out.append(name).append("{");
        if (extra != null && extra.startsWith("le=")) {
            out.append(extra).append(',');
        }
        out.append("method=\"").append(escape(e.endpoint().method())).append("\",name=\"")
                .append(escape(e.endpoint().name())).append('"');
        if (extra != null && !extra.startsWith("le=")) {
            out.append(',').append(extra);
        }
        out.append("} ").append(value == Math.rint(value) && Math.abs(value) < 1e15
                ? String.format(Locale.ROOT, "%.1f", value) : String.valueOf(value)).append('\n');
    }

    /** Label values escape backslash, quote and newline. */
    static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
