package io.stampede.loadgen.compare;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.common.Cli;
import io.stampede.loadgen.MarketTarget;
import io.stampede.loadgen.SwarmCommand;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** stampede report merge: HdrHistogram logs of several processes added into exact percentiles. */
class MergeCommandTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run run(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Cli.configure(new CommandLine(command));
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return new Run(cmd.execute(args), out.toString(), err.toString());
    }

    /** A log as the swarm writes it: per interval an untagged total and a histogram per endpoint tag; the raw values go to {@code all}. */
    private Path log(String name, long seed, int perInterval, double scaleMicros, List<Long> all) throws Exception {
        Path file = dir.resolve(name);
        Random random = new Random(seed);
        try (PrintStream ps = new PrintStream(file.toFile())) {
            HistogramLogWriter w = new HistogramLogWriter(ps);
            w.outputLogFormatVersion();
            w.outputStartTime(1_000_000);
            w.setBaseTime(1_000_000);
            w.outputLegend();
            for (int interval = 0; interval < 3; interval++) {
                Histogram total = new Histogram(3_600_000_000L, 3);
                Histogram a = new Histogram(3_600_000_000L, 3);
                Histogram b = new Histogram(3_600_000_000L, 3);
                for (int i = 0; i < perInterval; i++) {
                    long v = 100 + (long) (-Math.log(1 - random.nextDouble()) * scaleMicros);
                    all.add(v);
                    total.recordValue(v);
                    (i % 4 == 0 ? b : a).recordValue(v);
                }
                for (Object[] h : new Object[][] {{total, null}, {a, "GET_/a"}, {b, "POST_/b"}}) {
                    Histogram x = (Histogram) h[0];
                    x.setStartTimeStamp(1_000_000 + interval * 1000L);
                    x.setEndTimeStamp(1_000_000 + (interval + 1) * 1000L);
                    x.setTag((String) h[1]);
                    w.outputIntervalHistogram(x);
                }
            }
        }
        return file;
    }

    @Test
    void theMergedPercentilesAreThoseOfEveryLatencyTogether() throws Exception {
        List<Long> all = new ArrayList<>();
        Path a = log("a.hlog", 1, 4000, 2_000, all);   // a fast worker
        Path b = log("b.hlog", 2, 1000, 40_000, all);  // a slow one
        Path json = dir.resolve("merged.json");
        Run r = run(new ReportCommand(), "merge", a.toString(), b.toString(), "--json", json.toString());
        assertThat(r.code()).as(r.err()).isZero();
        Collections.sort(all);
        // The 99th percentile of all raw latencies together (the value at rank ceil(0.99 n)).
        double rawP99 = all.get((int) Math.ceil(0.99 * all.size()) - 1) / 1000.0;
        JsonNode m = new ObjectMapper().readTree(json.toFile());
        assertThat(m.get("requests").asLong()).isEqualTo(all.size());
        // Exact to HdrHistogram's three significant digits.
        assertThat(m.get("latency_ms").get("p99").asDouble()).isCloseTo(rawP99, org.assertj.core.data.Percentage.withPercentage(0.1));
        assertThat(m.get("rps").asDouble()).isEqualTo(all.size() / 3.0, org.assertj.core.data.Offset.offset(0.01));
        assertThat(m.get("endpoints")).hasSize(2);
        assertThat(m.get("endpoints").get(0).get("name").asText()).isEqualTo("/a");
        assertThat(m.get("endpoints").get(1).get("method").asText()).isEqualTo("POST");
        assertThat(r.out()).contains("Merged 2 HdrHistogram logs: 15,000 requests over 3.0 s");

        // Thresholds are judged on the merge; failures are not in the logs, so a failure rule is refused.
        Run fails = run(new ReportCommand(), "merge", a.toString(), b.toString(), "--threshold", "p99<1ms");
        assertThat(fails.code()).isEqualTo(99);
        assertThat(fails.out()).contains("FAIL p99<1ms");
        Run passes = run(new ReportCommand(), "merge", a.toString(), "--threshold", "GET /a:p50<100ms");
        assertThat(passes.code()).as(passes.out() + passes.err()).isZero();
        Run refused = run(new ReportCommand(), "merge", a.toString(), "--threshold", "fail_ratio<0.01");
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).contains("holds latencies only");
        Path notLog = Files.writeString(dir.resolve("x.hlog"), "hello\n");
        assertThat(run(new ReportCommand(), "merge", notLog.toString()).err()).contains("x.hlog: no histograms in it");
    }

    @Test
    void twoRealRunsMergeToTheSumOfTheirCounts() throws Exception {
        try (MarketTarget target = MarketTarget.start(20, 3, "merge-secret-0123456789", 4)) {
            long requests = 0;
            List<String> args = new ArrayList<>(List.of("merge"));
            for (int i = 0; i < 2; i++) {
                Path hlog = dir.resolve("run" + i + ".hlog");
                Path json = dir.resolve("run" + i + ".json");
                Run swarm = run(new SwarmCommand(), target.url() + "/healthz", "-c", "2", "-d", "2s", "--hdr-log", hlog.toString(),
                        "--json", json.toString(), "--no-generator-warmup");
                assertThat(swarm.code()).as(swarm.err()).isZero();
                requests += new ObjectMapper().readTree(json.toFile()).get("requests").asLong();
                args.add(hlog.toString());
            }
            args.addAll(List.of("--json", dir.resolve("merged.json").toString()));
            Run merged = run(new ReportCommand(), args.toArray(String[]::new));
            assertThat(merged.code()).as(merged.err()).isZero();
            assertThat(new ObjectMapper().readTree(dir.resolve("merged.json").toFile()).get("requests").asLong()).isEqualTo(requests);
            // A merge compares with a run: stampede report reads its JSON.
            Run compared = run(new ReportCommand(), dir.resolve("run0.json").toString(), dir.resolve("merged.json").toString());
            assertThat(compared.code()).as(compared.err()).isZero();
        }
    }
}
