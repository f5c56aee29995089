package io.stampede.loadgen.compare;

import io.stampede.common.wire.SwarmSummary;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.common.Cli;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stampede report BEFORE.json AFTER.json}: what changed between two swarm runs. */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        subcommands = MergeCommand.class,
        description = {
            "Compare two swarm runs (their --json summaries), endpoint by endpoint, or two",
            "bench runs (their bench.json), row by row.",
            "",
            "Prints each endpoint's req/s, failures and p50/p95/p99 before and after, and",
            "flags regressions: a percentile up or req/s down by more than --tolerance, or",
            "the failure ratio up by more than 0.1 percentage point.",
            ""})
public final class ReportCommand implements Callable<Integer> {
    /** Exit status when --fail-on-regression finds one (as a failed swarm threshold). */
    public static final int REGRESSION_EXIT = 99;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "BEFORE.json", description = "The baseline run (stampede swarm --json, or a bench's bench.json).")
    Path before;

    @Parameters(index = "1", arity = "0..1", paramLabel = "AFTER.json", description = "The run to judge.")
    Path after;

    @Option(names = "--tolerance", paramLabel = "PERCENT", defaultValue = "10",
            description = "How much worse a percentile or req/s may get before it is a regression. Default: ${DEFAULT-VALUE}.")
    double tolerance;

    @Option(names = "--fail-on-regression", description = "Exit 99 when anything regressed (for CI).")
    boolean failOnRegression;

    @Option(names = "--html", paramLabel = "FILE",
            description = "Also write the comparison as a page of bar charts (self-contained: nothing fetched).")
    Path html;

    /** One file's rows and what kind of run it was. */
    /** @param shares a bench row's share per backend, by row (empty for a swarm summary) */
    private record Run(String kind, java.util.Map<String, Comparison.Side> rows,
                       java.util.Map<String, java.util.Map<String, Double>> shares) {}

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (before == null || after == null) {
            throw Cli.badValue(spec.commandLine(), "give two runs to compare (BEFORE.json AFTER.json), or: stampede report merge LOG.hlog...");
        }
        if (tolerance < 0 || tolerance > 1000) {
            throw Cli.badValue(spec.commandLine(), "invalid value for --tolerance: " + tolerance + " (expected 0 to 1000)");
        }
        if (html != null) {
            Cli.checkWritable(spec.commandLine(), "--html", html);
        }
        Run a = read(before);
        Run b = read(after);
        if (!a.kind().equals(b.kind())) {
            throw Cli.badValue(spec.commandLine(), before + " is " + a.kind() + " but " + after + " is " + b.kind()
                    + " (compare two of a kind)");
        }
        List<Comparison.Row> rows = Comparison.compare(a.rows(), b.rows(), tolerance / 100);
        out.printf(Locale.ROOT, "%-52s %19s %17s %19s %19s %19s  %s%n", "endpoint", "req/s", "fail", "p50 ms", "p95 ms",
                "p99 ms", "regressions");
        int regressed = 0;
        for (Comparison.Row r : rows) {
            if (r.before() == null || r.after() == null) {
                out.printf(Locale.ROOT, "%-52s only in %s%n", clip(r.name()), r.before() == null ? after : before);
                continue;
            }
            out.printf(Locale.ROOT, "%-52s %19s %17s %19s %19s %19s  %s%n", clip(r.name()),
                    pair(r.before().rps(), r.after().rps()),
                    String.format(Locale.ROOT, "%.2f%% > %.2f%%", r.before().failRatio() * 100, r.after().failRatio() * 100),
                    pair(r.before().latency().p50(), r.after().latency().p50()),
                    pair(r.before().latency().p95(), r.after().latency().p95()),
                    pair(r.before().latency().p99(), r.after().latency().p99()),
                    r.regressions().isEmpty() ? "" : "REGRESSION: " + String.join(", ", r.regressions()));
            regressed += r.regressions().isEmpty() ? 0 : 1;
        }
        String tol = tolerance == Math.rint(tolerance) ? String.valueOf((long) tolerance) : String.valueOf(tolerance);
        String verdict = regressed == 0 ? "No regressions (tolerance " + tol + "%)."
                : regressed + (regressed == 1 ? " row" : " rows") + " regressed (tolerance " + tol + "%).";
        out.println(verdict);
        if (html != null) {
            try {
                io.stampede.loadgen.report.HtmlReport.write(html, ComparisonHtml.render(before.toString(), after.toString(), a.shares(), b.shares(),
                        a.kind(), rows, verdict));
            } catch (IOException e) {
                throw Cli.badValue(spec.commandLine(), "cannot write --html " + html + ": " + e.getMessage());
            }
            out.println("HTML: " + html);
        }
        out.flush();
        return failOnRegression && regressed > 0 ? REGRESSION_EXIT : 0;
    }

    private Run read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw Cli.badValue(spec.commandLine(), file + ": no such file");
        }
        String text;
        com.fasterxml.jackson.databind.JsonNode tree;
        try {
            text = Files.readString(file);
            tree = new ObjectMapper().readTree(text);
        } catch (IOException e) {
            throw Cli.badValue(spec.commandLine(), file + ": not JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (tree != null && tree.has("preset") && tree.path("rows").isArray()) {
            return new Run("a bench result", benchRows(file, tree.path("rows")), shares(tree.path("rows")));
        }
        try {
            SwarmSummary s = SwarmSummary.read(text);
            if (s.latencyMs() == null || s.endpoints() == null) {
                throw new IOException("no latency_ms or endpoints");
            }
            return new Run("a swarm summary", Comparison.sides(s), java.util.Map.of());
        } catch (IOException e) {
            throw Cli.badValue(spec.commandLine(), file + ": not a swarm summary or a bench result"
                    + " (expected the file of stampede swarm --json, or a bench's bench.json)");
        }
    }

    /** Each bench row's share per backend (what each backend served), by row name. */
    private static java.util.Map<String, java.util.Map<String, Double>> shares(com.fasterxml.jackson.databind.JsonNode rows) {
        java.util.Map<String, java.util.Map<String, Double>> out = new java.util.LinkedHashMap<>();
        for (com.fasterxml.jackson.databind.JsonNode r : rows) {
            java.util.Map<String, Double> share = new java.util.LinkedHashMap<>();
            r.path("share").fields().forEachRemaining(e -> share.put(e.getKey(), e.getValue().asDouble()));
            out.put(r.path("name").asText(), share);
        }
        return out;
    }

    /** A bench's rows (direct, each algorithm, nginx): what its swarm measured, by row name. */
    private java.util.Map<String, Comparison.Side> benchRows(Path file, com.fasterxml.jackson.databind.JsonNode rows) {
        java.util.Map<String, Comparison.Side> out = new java.util.LinkedHashMap<>();
        for (com.fasterxml.jackson.databind.JsonNode r : rows) {
            com.fasterxml.jackson.databind.JsonNode l = r.path("latency_ms");
            if (!r.path("name").isTextual() || !l.isObject()) {
                throw Cli.badValue(spec.commandLine(), file + ": a row without a name or latency_ms (is it a bench.json?)");
            }
            out.put(r.path("name").asText(), new Comparison.Side(r.path("requests").asLong(), r.path("failures").asLong(),
                    // The bench's own measure is the successful requests per second (failures fast or slow aside).
                    r.path("good_rps").asDouble(r.path("rps").asDouble()), new SwarmSummary.Percentiles(0, 0, l.path("p50").asDouble(), 0,
                            l.path("p95").asDouble(), l.path("p99").asDouble(), l.path("p999").asDouble(), l.path("max").asDouble())));
        }
        return out;
    }

    private static String pair(double x, double y) {
        return fmt(x) + " > " + fmt(y);
    }

    private static String fmt(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String clip(String s) {
        return s.length() <= 52 ? s : s.substring(0, 51) + "~";
    }
}
