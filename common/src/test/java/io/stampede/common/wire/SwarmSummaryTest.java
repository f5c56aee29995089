package io.stampede.common.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.common.wire.SwarmSummary.Endpoint;
import io.stampede.common.wire.SwarmSummary.ErrorCount;
import io.stampede.common.wire.SwarmSummary.ExceptionCount;
import io.stampede.common.wire.SwarmSummary.GeneratorStats;
import io.stampede.common.wire.SwarmSummary.Percentiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SwarmSummaryTest {

    @Test
    void aSummaryReadsBackAsTheRecordsThatWroteIt(@TempDir Path dir) throws Exception {
        Percentiles p = new Percentiles(0.5, 3.2, 2.9, 5.1, 6.0, 9.8, 20.1, 31.0);
        SwarmSummary written = new SwarmSummary(SwarmSummary.VERSION, "closed", 10.0, 64, 1000, 3, 0, 100.0, 0.003, p, p,
                List.of(new Endpoint("GET", "/api/v1/products/", 1000, 3, 100.0, p, Percentiles.NONE)),
                List.of(new ErrorCount("GET", "/api/v1/products/", "HTTP 503", 3)), List.of(new ExceptionCount("boom", 1)),
                new GeneratorStats(41.5, 80.0, 2.5, 12, false));
        Path file = dir.resolve("run.json");
        written.write(file);
        assertThat(SwarmSummary.read(file)).isEqualTo(written);
        assertThat(Files.readString(file)).contains("\"version\" : 1", "\"duration_s\" : 10.0", "\"latency_ms\"",
                "\"p999\" : 20.1", "\"fail_ratio\" : 0.003", "\"peak_cpu\" : 80.0", "\"occurrences\" : 3");
    }

    @Test
    void theSummaryBeforeVersionsReadsAsVersionZero() throws Exception {
        String previous = """
                {
                  "mode" : "open", "duration_s" : 5.002, "users" : 10, "requests" : 42, "failures" : 1, "dropped" : 2,
                  "rps" : 8.396, "fail_ratio" : 0.024,
                  "latency_ms" : { "min" : 1.1, "mean" : 2.2, "p50" : 2.0, "p90" : 3.0, "p95" : 3.5, "p99" : 4.0, "p999" : 4.5, "max" : 5.0 },
                  "service_ms" : { "min" : 1.0, "mean" : 2.0, "p50" : 1.9, "p90" : 2.9, "p95" : 3.4, "p99" : 3.9, "p999" : 4.4, "max" : 4.9 },
                  "endpoints" : [ { "method" : "GET", "name" : "/x", "requests" : 42, "failures" : 1, "rps" : 8.396,
                    "latency_ms" : { "min" : 1.1, "mean" : 2.2, "p50" : 2.0, "p90" : 3.0, "p95" : 3.5, "p99" : 4.0, "p999" : 4.5, "max" : 5.0 },
                    "service_ms" : { "min" : 1.0, "mean" : 2.0, "p50" : 1.9, "p90" : 2.9, "p95" : 3.4, "p99" : 3.9, "p999" : 4.4, "max" : 4.9 } } ],
                  "errors" : [ { "method" : "GET", "name" : "/x", "error" : "HTTP 500", "occurrences" : 1 } ],
                  "exceptions" : [ ],
                  "generator" : { "cpu" : 12.0, "peak_cpu" : 20.0, "max_lag_ms" : 1.5, "gc_ms" : 3, "saturated" : false }
                }""";
        SwarmSummary s = SwarmSummary.read(previous);
        assertThat(s.version()).isZero();
        assertThat(s.latencyMs().p99()).isEqualTo(4.0);
        assertThat(s.endpoints().get(0).serviceMs().p50()).isEqualTo(1.9);
        assertThat(s.generator().peakCpu()).isEqualTo(20.0);
        assertThat(s.errors()).containsExactly(new ErrorCount("GET", "/x", "HTTP 500", 1));
    }
}
