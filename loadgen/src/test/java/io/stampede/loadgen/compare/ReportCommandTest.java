package io.stampede.loadgen.compare;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.common.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ReportCommandTest {
    record Run(int code, String out, String err) {}

    static Run report(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Cli.configure(new CommandLine(new ReportCommand()));
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return new Run(cmd.execute(args), out.toString(), err.toString());
    }

    /** A swarm --json summary with the keys the report reads. */
    static String summary(double rps, long requests, long failures, double p95Detail, String extraEndpoint) {
        String detail = endpoint("GET", "/api/v1/products/[id]/", rps * 0.8, (long) (requests * 0.8), failures, 20, p95Detail, p95Detail * 1.2);
        String list = endpoint("GET", "/api/v1/products/", rps * 0.2, (long) (requests * 0.2), 0, 25, 40, 50);
        return "{\"mode\":\"closed\",\"duration_s\":10,\"requests\":" + requests + ",\"failures\":" + failures + ",\"rps\":" + rps
                + ",\"latency_ms\":{\"p50\":21,\"p95\":" + p95Detail + ",\"p99\":" + p95Detail * 1.2 + "},\"endpoints\":[" + detail
                + "," + list + (extraEndpoint == null ? "" : "," + extraEndpoint) + "]}";
    }

    static String endpoint(String method, String name, double rps, long requests, long failures, double p50, double p95, double p99) {
        return "{\"method\":\"" + method + "\",\"name\":\"" + name + "\",\"requests\":" + requests + ",\"failures\":" + failures
                + ",\"rps\":" + rps + ",\"latency_ms\":{\"p50\":" + p50 + ",\"p95\":" + p95 + ",\"p99\":" + p99 + "}}";
    }

    @Test
    void flagsWhatGotWorseAndNamesEndpointsFoundInOneRunOnly(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a.json"), summary(700, 7000, 0, 40, null));
        Path b = Files.writeString(dir.resolve("b.json"), summary(690, 6900, 35, 60,
                endpoint("POST", "/api/v1/products/", 5, 50, 0, 30, 35, 40)));
        Run r = report(a.toString(), b.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("GET /api/v1/products/\\[id]/ .*REGRESSION: p95 \\+50%, p99 \\+50%, failures 0.00% -> 0.63%")
                .contains("2 rows regressed (tolerance 10%).");
        String steady = r.out().lines().filter(l -> l.startsWith("GET /api/v1/products/ ")).findFirst().orElseThrow();
        assertThat(steady).contains("140 > 138").doesNotContain("REGRESSION"); // -1.4% req/s is within tolerance
        String added = r.out().lines().filter(l -> l.startsWith("POST /api/v1/products/")).findFirst().orElseThrow();
        assertThat(added).endsWith("only in " + b);
        assertThat(report("--fail-on-regression", a.toString(), b.toString()).code()).isEqualTo(ReportCommand.REGRESSION_EXIT);
        assertThat(report("--tolerance", "60", a.toString(), b.toString()).out()).doesNotContain("p95 +50%");
    }

    @Test
    void theSameRunTwiceHasNoRegression(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a.json"), summary(700, 7000, 0, 40, null));
        Run r = report("--fail-on-regression", a.toString(), a.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).endsWith("No regressions (tolerance 10%).\n");
    }

    @Test
    void aFileThatIsNotASummaryIsNamed(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a.json"), summary(700, 7000, 0, 40, null));
        Path bad = Files.writeString(dir.resolve("bench.json"), "{\"preset\":\"homogeneous\"}");
        Run r = report(a.toString(), bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("report: " + bad + ": not a swarm summary");
        assertThat(report(a.toString(), dir.resolve("missing.json").toString()).err()).contains("missing.json: no such file");
    }

    /** A bench.json with two rows, as the bench writes it (the keys the report reads; its req/s is good_rps where given). */
    static String bench(double rrRps, double rrP99) {
        return "{\"preset\":\"homogeneous\",\"rows\":[{\"name\":\"direct\",\"requests\":3000,\"rps\":200,\"failures\":30,"
                + "\"latency_ms\":{\"p50\":300,\"p95\":400,\"p99\":450,\"p999\":500,\"max\":600}},"
                + "{\"name\":\"round_robin\",\"requests\":10000,\"rps\":" + (rrRps + 50) + ",\"good_rps\":" + rrRps + ",\"failures\":0,"
                + "\"latency_ms\":{\"p50\":20,\"p95\":30,\"p99\":" + rrP99 + ",\"p999\":60,\"max\":90},"
                + "\"share\":{\"api-1\":" + (rrRps > 600 ? 0.5 : 0.75) + ",\"api-2\":" + (rrRps > 600 ? 0.5 : 0.25) + "}}]}";
    }

    @Test
    void twoBenchRunsAreComparedRowByRowAndDrawnAsBars(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a.json"), bench(700, 40));
        Path b = Files.writeString(dir.resolve("b.json"), bench(560, 41));
        Path page = dir.resolve("out/compare.html");
        Run r = report("--html", page.toString(), a.toString(), b.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("round_robin .*700 > 560 .*REGRESSION: req/s -20%").contains("1 row regressed")
                .contains("HTML: " + page);
        assertThat(r.out().lines().filter(l -> l.startsWith("direct ")).findFirst().orElseThrow()).doesNotContain("REGRESSION");
        String html = Files.readString(page);
        // Five charts of two rows with a bar before and after each; the regressed row set apart.
        // Five charts of two rows with a bar before and after each, then the shares stacked before and after.
        assertThat(html.split("<svg class=\"barchart\"", -1).length - 1).isEqualTo(6);
        assertThat(html.split("class=\"bar\"", -1).length - 1).isEqualTo(5 * 2 * 2 + 2 + 2);
        assertThat(html).contains("<title>round_robin before api-1: 50.0%</title>", "<title>round_robin after api-1: 75.0%</title>");
        assertThat(html).contains("<title>round_robin before: 700</title>", "<title>round_robin after: 560</title>",
                "round_robin (regressed)", "<title>direct after: 1.00%</title>")
                .doesNotContainPattern("(?i)<script|(src|href)\\s*=");
    }

    @Test
    void aBenchResultIsNotComparedWithASwarmSummary(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a.json"), bench(700, 40));
        Path b = Files.writeString(dir.resolve("b.json"), summary(700, 7000, 0, 40, null));
        Run r = report(a.toString(), b.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(a + " is a bench result but " + b + " is a swarm summary");
    }
}
