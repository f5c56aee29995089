package io.stampede.loadgen.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stampede.loadgen.stats.Recording;
import io.stampede.loadgen.stats.StatsCollector;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportsTest {
    final AtomicLong clock = new AtomicLong(0);

    private StatsSnapshot sample() {
        StatsCollector c = new StatsCollector(clock::get, () -> 7);
        Recording a = c.newRecording();
        Recording b = c.newRecording();
        for (int i = 1; i <= 100; i++) {
            a.record("GET", "/items/[id]/", i * 1_000_000L, i * 900_000L, 100, null);
        }
        b.record("GET", "/items/[id]/", 50_000_000L, 50_000_000L, 100, null);
        b.record("POST", "/login/", 200_000_000L, 150_000_000L, 50, "HTTPError('401 Client Error: Unauthorized for url: /login/')");
        clock.set(10_000_000_000L);
        return c.collect();
    }

    @Test
    void statsFromSeveralWorkersMerge() {
        StatsSnapshot s = sample();
        assertThat(s.total().requests()).isEqualTo(102);
        assertThat(s.total().failures()).isEqualTo(1);
        assertThat(s.endpoints()).hasSize(2);
        assertThat(s.endpoints().get(0).endpoint().name()).isEqualTo("/items/[id]/");
        assertThat(s.endpoints().get(0).requests()).isEqualTo(101);
        assertThat(s.endpoints().get(0).percentileMs(50)).isCloseTo(50, org.assertj.core.data.Offset.offset(0.1));
        assertThat(s.endpoints().get(0).percentileMs(100)).isCloseTo(100, org.assertj.core.data.Offset.offset(0.1));
        assertThat(s.rps()).isEqualTo(10.2);
        assertThat(s.users()).isEqualTo(7);
        assertThat(s.errors()).hasSize(1);
    }

    @Test
    void csvHeadersAreLocustsByteForByte(@TempDir Path dir) throws Exception {
        CsvFiles csv = new CsvFiles(dir.resolve("sub/run").toString(), false);
        StatsSnapshot s = sample();
        csv.update(s);
        csv.rewrite(s);
        List<String> stats = Files.readAllLines(dir.resolve("sub/run_stats.csv"));
        assertThat(stats.get(0)).isEqualTo("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
                + "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,"
                + "98%,99%,99.9%,99.99%,100%");
        assertThat(stats.get(1)).startsWith("GET,/items/[id]/,101,0,50,");
        assertThat(stats.get(3)).startsWith(",Aggregated,102,1,");
        assertThat(Files.readAllLines(dir.resolve("sub/run_stats_history.csv")).get(0)).isEqualTo("Timestamp,User Count,Type,"
                + "Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,"
                + "Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,"
                + "Total Max Response Time,Total Average Content Size");
        assertThat(Files.readAllLines(dir.resolve("sub/run_stats_history.csv")).get(1)).matches("\\d+,7,,Aggregated,.*,102,1,.*");
        List<String> failures = Files.readAllLines(dir.resolve("sub/run_failures.csv"));
        assertThat(failures.get(0)).isEqualTo("Method,Name,Error,Occurrences");
        assertThat(failures.get(1)).isEqualTo("POST,/login/,HTTPError('401 Client Error: Unauthorized for url: /login/'),1");
        assertThat(Files.readAllLines(dir.resolve("sub/run_exceptions.csv"))).containsExactly("Count,Message,Traceback,Nodes");
    }

    @Test
    void anEndpointWithoutRequestsShowsNA() {
        StatsCollector c = new StatsCollector(clock::get, () -> 0);
        c.newRecording();
        String csv = CsvFiles.stats(c.collect());
        assertThat(csv.lines().skip(1).findFirst().orElseThrow()).endsWith("N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A");
    }

    @Test
    void fieldsWithCommasAreQuotedAsPythonsCsv() {
        assertThat(CsvFiles.quote("a,b")).isEqualTo("\"a,b\"");
        assertThat(CsvFiles.quote("say \"hi\", ok")).isEqualTo("\"say \"\"hi\"\", ok\"");
        assertThat(CsvFiles.quote("plain")).isEqualTo("plain");
    }

    @Test
    void thresholdsPassFailAndName() {
        StatsSnapshot s = sample();
        List<Thresholds.Result> r = Thresholds.evaluate(List.of(Thresholds.parse("p99<500ms"), Thresholds.parse("p50<10ms"),
                Thresholds.parse("fail_ratio<0.01"), Thresholds.parse("rps>5"), Thresholds.parse("GET /items/[id]/:p95<=96ms"),
                Thresholds.parse("POST /login/:max<1s"), Thresholds.parse("GET /nowhere/:p99<1ms")), s);
        assertThat(r).extracting(Thresholds.Result::passed).containsExactly(true, false, true, true, true, true, false);
        assertThat(r.get(1).describe()).startsWith("FAIL p50<10ms: p50 was ").endsWith(" ms");
        assertThat(r.get(6).describe()).contains("absent");
    }

    @Test
    void badThresholdsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> Thresholds.parse("p99 less than 5")).hasMessageContaining("expected METRIC<VALUE");
        assertThatThrownBy(() -> Thresholds.parse("p99<fast")).hasMessageContaining("'fast' is not a number or duration");
        assertThatThrownBy(() -> Thresholds.parse("p150<1s")).hasMessageContaining("percentile above 100");
    }

    @Test
    void resetForgetsWhatWasRecorded() {
        StatsCollector c = new StatsCollector(clock::get, () -> 0);
        Recording a = c.newRecording();
        a.record("GET", "/x", 1_000_000, 1_000_000, 1, "boom");
        c.collect();
        c.reset();
        a.record("GET", "/x", 2_000_000, 2_000_000, 1, null);
        StatsSnapshot s = c.collect();
        assertThat(s.total().requests()).isEqualTo(1);
        assertThat(s.total().failures()).isZero();
        assertThat(s.errors()).isEmpty();
    }

    @Test
    void hdrLogIsReadableByHdrHistogramsReader(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run.hlog");
        try (HdrLog log = new HdrLog(file, System.currentTimeMillis())) {
            log.write(sample());
        }
        try (var reader = new org.HdrHistogram.HistogramLogReader(file.toFile())) {
            org.HdrHistogram.Histogram first = (org.HdrHistogram.Histogram) reader.nextIntervalHistogram();
            assertThat(first.getTotalCount()).isEqualTo(102);
            assertThat(first.getTag()).isNull();
            org.HdrHistogram.Histogram tagged = (org.HdrHistogram.Histogram) reader.nextIntervalHistogram();
            assertThat(tagged.getTag()).isEqualTo("GET_/items/[id]/");
        }
    }
}
