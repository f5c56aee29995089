package io.stampede.loadgen.compare;

import io.stampede.common.Cli;
import io.stampede.common.wire.SwarmSummary;
import io.stampede.loadgen.report.Thresholds;
import io.stampede.loadgen.stats.Endpoint;
import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stampede report merge LOG.hlog...}: the HdrHistogram logs of any number of swarm
 * processes (workers, pods, {@code --processes}) added into one exact distribution per endpoint
 * and in total: every recorded latency counts once, so the merged percentiles are those of all the
 * latencies together, not an average of percentiles. Thresholds are judged on the merge.
 */
@Command(name = "merge", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Merge the HdrHistogram logs (swarm --hdr-log) of several swarm processes into exact percentiles.", ""})
public final class MergeCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "LOG.hlog", description = "HdrHistogram logs written by stampede swarm --hdr-log.")
    List<Path> logs;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the merge as a swarm summary (latency, requests, req/s; no failures: the logs hold latencies only).")
    Path json;

    @Option(names = "--threshold", paramLabel = "RULE", description = "As swarm's: p99<500ms, avg, max, rps>1000, per endpoint 'GET /x:p95<300ms'; exit 99 when one fails.")
    List<String> thresholds = new ArrayList<>();

    /** One endpoint's (or the total's) merged latencies. */
    private static final class Merged {
        final Histogram latency = new Histogram(3_600_000_000L, 3);
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<Thresholds.Threshold> rules = new ArrayList<>();
        for (String t : thresholds) {
            try {
                Thresholds.Threshold rule = Thresholds.parse(t);
                if (rule.metric().equals("fail_ratio") || rule.metric().equals("failures")) {
                    throw new IllegalArgumentException("threshold '" + t + "': an HdrHistogram log holds latencies only, not failures"
                            + " (judge failures on each run's --json)");
                }
                rules.add(rule);
            } catch (IllegalArgumentException e) {
                throw Cli.badValue(spec.commandLine(), e.getMessage());
            }
        }
        if (json != null) {
            Cli.checkWritable(spec.commandLine(), "--json", json);
        }
        Merged total = new Merged();
        Map<String, Merged> byTag = new TreeMap<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (Path log : logs) {
            if (!Files.isRegularFile(log)) {
                throw Cli.badValue(spec.commandLine(), log + ": no such file");
            }
            int read = 0;
            try {
                HistogramLogReader reader = new HistogramLogReader(log.toFile());
                EncodableHistogram e;
                while ((e = reader.nextIntervalHistogram()) != null) {
                    if (!(e instanceof Histogram h)) {
                        throw Cli.badValue(spec.commandLine(), log + ": holds floating-point histograms, not swarm latencies");
                    }
                    read++;
                    if (h.getTag() == null) {
                        total.latency.add(h);
                        if (h.getTotalCount() > 0) {
                            first = Math.min(first, h.getStartTimeStamp());
                            last = Math.max(last, h.getEndTimeStamp());
                        }
                    } else {
                        byTag.computeIfAbsent(h.getTag(), k -> new Merged()).latency.add(h);
                    }
                }
            } catch (FileNotFoundException e) {
                throw Cli.badValue(spec.commandLine(), log + ": cannot read it: " + e.getMessage());
            } catch (RuntimeException e) {
                if (e instanceof CommandLine.ParameterException p) {
                    throw p;
                }
                throw Cli.badValue(spec.commandLine(), log + ": not an HdrHistogram log (" + e.getMessage() + ")");
            }
            if (read == 0) {
                throw Cli.badValue(spec.commandLine(), log + ": no histograms in it (expected a log of stampede swarm --hdr-log)");
            }
        }
        double seconds = last > first ? (last - first) / 1000.0 : 0;
        List<EndpointStats> endpoints = new ArrayList<>();
        byTag.forEach((tag, m) -> endpoints.add(stats(endpoint(tag), m)));
        StatsSnapshot merged = new StatsSnapshot(System.currentTimeMillis(), seconds, 0, endpoints, stats(Endpoint.AGGREGATED, total),
                Map.of(), Map.of(), 0, Map.of(), total.latency);
        print(out, merged, logs.size());
        if (json != null) {
            try {
                summary(merged).write(json);
            } catch (IOException e) {
                throw Cli.badValue(spec.commandLine(), "cannot write --json " + json + ": " + e.getMessage());
            }
        }
        int code = 0;
        for (Thresholds.Result r : Thresholds.evaluate(rules, merged)) {
            out.println(r.describe());
            code = r.passed() ? code : Thresholds.EXIT_CODE;
        }
        out.flush();
        return code;
    }

    /** A log's tag ({@code METHOD_name}, as the swarm writes it) as an endpoint. */
    static Endpoint endpoint(String tag) {
        int cut = tag.indexOf('_');
        return cut < 0 ? new Endpoint("", tag) : new Endpoint(tag.substring(0, cut), tag.substring(cut + 1));
    }

    private static EndpointStats stats(Endpoint e, Merged m) {
        return new EndpointStats(e, m.latency.getTotalCount(), 0, 0, m.latency, new Histogram(3), 0, 0);
    }

    private static void print(PrintWriter out, StatsSnapshot s, int files) {
        out.printf(Locale.ROOT, "Merged %d HdrHistogram log%s: %,d requests over %.1f s%n", files, files == 1 ? "" : "s",
                s.total().requests(), s.elapsedSeconds());
        out.printf(Locale.ROOT, "%-8s %-50s %10s %9s %9s %9s %9s %9s %9s%n", "Type", "Name", "# reqs", "req/s", "p50", "p95", "p99",
                "p99.9", "max");
        List<EndpointStats> rows = new ArrayList<>(s.endpoints());
        rows.add(s.total());
        for (EndpointStats e : rows) {
            out.printf(Locale.ROOT, "%-8s %-50s %10d %9.1f %9s %9s %9s %9s %9s%n", e.endpoint().method(), e.endpoint().name(),
                    e.requests(), s.rps(e), ms(e.percentileMs(50)), ms(e.percentileMs(95)), ms(e.percentileMs(99)),
                    ms(e.percentileMs(99.9)), ms(e.maxMs()));
        }
        out.println("(milliseconds from each request's intended start; every latency of every log counted once)");
    }

    private static String ms(double v) {
        return Double.isNaN(v) ? "-" : v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    /** The merge as a swarm summary, so {@code stampede report} compares it with a run's or another merge's. */
    private static SwarmSummary summary(StatsSnapshot s) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("mode", "merged");
        doc.put("duration_s", s.elapsedSeconds());
        doc.put("requests", s.total().requests());
        doc.put("failures", 0);
        doc.put("rps", s.rps());
        doc.put("latency_ms", percentiles(s.total()));
        List<Object> endpoints = new ArrayList<>();
        for (EndpointStats e : s.endpoints()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", e.endpoint().method());
            m.put("name", e.endpoint().name());
            m.put("requests", e.requests());
            m.put("failures", 0);
            m.put("rps", s.rps(e));
            m.put("latency_ms", percentiles(e));
            endpoints.add(m);
        }
        doc.put("endpoints", endpoints);
        return SwarmSummary.read(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(doc));
    }

    private static Map<String, Object> percentiles(EndpointStats e) {
        Map<String, Object> m = new LinkedHashMap<>();
        boolean any = e.requests() > 0;
        m.put("min", any ? e.minMs() : 0);
        m.put("mean", any ? e.meanMs() : 0);
        for (double p : new double[] {50, 90, 95, 99, 99.9}) {
            m.put(p == 99.9 ? "p999" : "p" + (int) p, any ? e.percentileMs(p) : 0);
        }
        m.put("max", any ? e.maxMs() : 0);
        return m;
    }
}
