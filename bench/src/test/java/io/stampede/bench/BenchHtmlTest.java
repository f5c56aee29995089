package io.stampede.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchHtmlTest {
    private static final String HEADER = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,"
            + "99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,"
            + "Total Min Response Time,Total Max Response Time,Total Average Content Size\n";

    @Test
    void onePageWithTheTableAndALinePerRowFromTheirHistories(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("runs"));
        Files.writeString(dir.resolve("runs/direct_stats_history.csv"), HEADER
                + "100,10,,Aggregated,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0,0,0,0,0,0\n"
                + "101,10,,Aggregated,190.5,60.0,300,310,320,330,340,350,360,370,380,390,400,190,60,300,301,1,400,800\n"
                + "101,10,GET,/x,190.5,60.0,300,310,320,330,340,350,360,370,380,390,400,190,60,300,301,1,400,800\n");
        Files.writeString(dir.resolve("runs/least_conn_stats_history.csv"), HEADER
                + "200,10,,Aggregated,700.0,0.0,30,31,32,33,34,45,46,47,48,49,50,700,0,30,31,1,50,800\n");
        Plan plan = Presets.build("homogeneous", new Presets.Options(true, 4, null, null, null, List.of("least_conn"), false, 64));
        RowResult direct = new RowResult("direct", "-", 1, 1000, 300, 5, new double[] {300, 350, 370, 380, 400},
                Map.of("api-1", 1.0), -1, -1, 250, Map.of(), Map.of());
        RowResult lc = new RowResult("least_conn", "least_conn", 4, 3500, 0, 5, new double[] {30, 45, 47, 48, 50},
                Map.of("api-1", 1.0), 0, -1, 0, Map.of(), Map.of());
        BenchHtml.write(dir, plan, List.of(direct, lc), Report.markdownTable(List.of(direct, lc)), List.of("Throughput: least_conn won."));
        String page = Files.readString(dir.resolve("bench.html"));
        assertThat(page).contains("<th>row</th>", "<td>least_conn</td>", "<p>Throughput: least_conn won.</p>", "uPlot=function")
                .contains("\"names\":[\"direct\",\"least_conn\"]", "\"x\":[0,1]", "\"rps\":[[0.0,190.5],[700.0,null]]",
                        "\"p50\":[[null,300.0],[30.0,null]]", "\"p95\":[[null,350.0],[45.0,null]]")
                .doesNotContainPattern("(?i)(src|href)\\s*=\\s*[\"']?https?:");
    }
}
