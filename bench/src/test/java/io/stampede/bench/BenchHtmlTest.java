package io.stampede.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchHtmlTest {
    private static final String HEADER = BenchHtmlTestData.HEADER;

    private static String row(double rps, double fps, String p50, String p95, long total) {
        return BenchHtmlTestData.row(rps, fps, p50, p95, total);
    }

    private static final RowResult DIRECT = new RowResult("direct", "-", 1, 1000, 300, 5, new double[] {300, 350, 370, 380, 400},
            Map.of("api-1", 1.0), -1, -1, 250, Map.of(), Map.of());
    private static final RowResult LEAST_CONN = new RowResult("least_conn", "least_conn", 4, 3500, 0, 5,
            new double[] {30, 45, 47, 48, 50}, Map.of("api-1", 0.5, "api-2", 0.5), 0, -1, 0, Map.of(),
            Map.of("backend", "api-2", "killed_at_s", 1.5, "back_at_s", 3.0));

    private static Plan plan() {
        return Presets.build("homogeneous", new Presets.Options(true, 4, null, null, null, List.of("least_conn"), false, 64));
    }

    @Test
    void barsLeadThenTheTableThenTheRowsOverTimeAlignedOnTheirResets(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("runs"));
        // direct: two warm-up seconds, then the reset (the total falls, the rate window reads 0), then two measured seconds.
        Files.writeString(dir.resolve("runs/direct_stats_history.csv"), HEADER
                + row(0, 0, "N/A", "N/A", 0) + row(190.5, 60, "300", "350", 250) + row(0, 0, "N/A", "N/A", 10)
                + row(200, 50, "310", "360", 210) + "101,10,GET,/x,190.5,60.0,300,1,1,1,1,1,1,1,1,1,1,190,60,300,301,1,400,800\n"
                + row(210, 40, "320", "370", 420));
        // least_conn: one warm-up second.
        Files.writeString(dir.resolve("runs/least_conn_stats_history.csv"), HEADER
                + row(650, 0, "30", "40", 650) + row(0, 0, "N/A", "N/A", 5) + row(700, 0, "31", "45", 705));
        Files.writeString(dir.resolve("runs/least_conn" + Waiting.SUFFIX), "second,proxy,backends\n1,,0\n2,,7\n3,,2\n");
        BenchHtml.write(dir, plan(), List.of(DIRECT, LEAST_CONN), Report.markdownTable(List.of(DIRECT, LEAST_CONN)),
                List.of("Throughput: least_conn won."));
        String page = Files.readString(dir.resolve("bench.html"));
        assertThat(page).contains("<th>row</th>", "<td>least_conn</td>", "Throughput: least_conn won.", "uPlot=function")
                .doesNotContainPattern("(?i)(src|href)\\s*=\\s*[\"']?https?:");
        assertThat(page.indexOf("class=\"barchart\"")).isLessThan(page.indexOf("<th>row</th>"));
        assertThat(page.indexOf("<th>row</th>")).isLessThan(page.indexOf("id=\"charts\""));

        Map<?, ?> data = new ObjectMapper().readValue(page.substring(page.indexOf("const DATA = ") + 13,
                page.indexOf(";\n", page.indexOf("const DATA = "))), Map.class);
        assertThat(data.get("x")).isEqualTo(List.of(-2, -1, 0, 1, 2));
        // The reset's second is a gap, not a fall to zero; each row starts at its own reset.
        assertThat(data.get("rps")).isEqualTo(List.of(Arrays.asList(0.0, 190.5, null, 200.0, 210.0),
                Arrays.asList(null, 650.0, null, 700.0, null)));
        // Failures per second are left out on the same seconds, told by the rate: a real 0 stays.
        assertThat(data.get("fps")).isEqualTo(List.of(Arrays.asList(0.0, 60.0, null, 50.0, 40.0),
                Arrays.asList(null, 0.0, null, 0.0, null)));
        assertThat(data.get("p50")).isEqualTo(List.of(Arrays.asList(null, 300.0, null, 310.0, 320.0),
                Arrays.asList(null, 30.0, null, 31.0, null)));
        assertThat(data.get("marks")).isEqualTo(List.of(Map.of("row", 1, "x", 1.5, "label", "api-2 killed"),
                Map.of("row", 1, "x", 3.0, "label", "api-2 restarted")));
        // Nothing waited in a proxy queue; the backends' queues are drawn (second s is history row s - 1).
        assertThat(data.get("proxyQueue")).isNull();
        assertThat(data.get("backendQueue")).isEqualTo(List.of(Arrays.asList(null, null, null, null, null),
                Arrays.asList(null, 0.0, 7.0, 2.0, null)));
    }

    @Test
    void theBarsMarkTheDirectAndNginxRowsAndStackTheShares() {
        Plan plan = Presets.build("homogeneous", new Presets.Options(true, 4, null, null, null, List.of("least_conn"), true, 64));
        String nginxRow = plan.rows().stream().filter(Plan.Row::nginx).findFirst().orElseThrow().name();
        RowResult nginx = new RowResult(nginxRow, "round_robin", 4, 3400, 0, 5, new double[] {31, 46, 48, 49, 51},
                Map.of("api-1", 0.25, "api-2", 0.75), -1, -1, 0, Map.of(), Map.of());
        String svg = BenchHtml.bars(plan, List.of(DIRECT, LEAST_CONN, nginx));
        assertThat(svg).contains("direct (direct)", nginxRow + " (nginx)", "fill=\"" + BenchHtml.DIRECT_COLOR + "\"",
                "fill=\"" + BenchHtml.NGINX_COLOR + "\"", "fill=\"" + BenchHtml.OURS_COLOR + "\"",
                "<title>least_conn: 700</title>", "<title>least_conn p99: 47.00 ms</title>", "<title>direct: 30.00%</title>",
                "<title>" + nginxRow + " api-2: 75.0%</title>", "Each backend's share of the requests");
        // 3 rows: 3 + 9 + 3 bars, and 1 + 2 + 2 share parts.
        assertThat(svg.split("class=\"bar\"", -1).length - 1).isEqualTo(3 + 9 + 3 + 5);
    }
}
