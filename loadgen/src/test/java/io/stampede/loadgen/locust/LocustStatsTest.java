package io.stampede.loadgen.locust;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.loadgen.stats.Endpoint;
import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.ErrorKey;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** Locust's report format from our ticks: its buckets, deltas between reports, per-second counts, errors. */
class LocustStatsTest {
    private static final Endpoint GET_X = new Endpoint("GET", "/x");

    @Test
    void bucketsAreLocustsRoundingHalfToEven() {
        assertThat(LocustStats.bucket(0.4)).isZero();
        assertThat(LocustStats.bucket(2.5)).isEqualTo(2); // Python's round(2.5) == 2
        assertThat(LocustStats.bucket(3.5)).isEqualTo(4);
        assertThat(LocustStats.bucket(99.4)).isEqualTo(99);
        assertThat(LocustStats.bucket(147)).isEqualTo(150);
        assertThat(LocustStats.bucket(3432)).isEqualTo(3400);
        assertThat(LocustStats.bucket(58760)).isEqualTo(59000);
    }

    private static Histogram times(long... micros) {
        Histogram h = new Histogram(3_600_000_000L, 3);
        for (long m : micros) {
            h.recordValue(m);
        }
        return h;
    }

    private static StatsSnapshot tick(long epochMillis, long requests, long failures, Histogram interval, Map<ErrorKey, Long> errors) {
        EndpointStats e = new EndpointStats(GET_X, requests, failures, requests * 10, new Histogram(3), new Histogram(3), 0, 0);
        EndpointStats total = new EndpointStats(Endpoint.AGGREGATED, requests, failures, requests * 10, new Histogram(3),
                new Histogram(3), 0, 0);
        return new StatsSnapshot(epochMillis, 1, 2, List.of(e), total, errors, Map.of(), 0, Map.of(GET_X, interval), interval);
    }

    @Test
    void eachReportHoldsWhatHappenedSinceTheLast() {
        LocustStats stats = new LocustStats(1000.0);
        ErrorKey err = new ErrorKey("GET", "/x", "HTTPError: 500");
        stats.add(tick(1_001_000, 3, 1, times(2_000, 2_000, 150_000), Map.of(err, 1L)));
        stats.add(tick(1_002_400, 5, 1, times(3_000, 3_000), Map.of(err, 1L)));
        Map<String, Object> first = stats.report(Map.of("U", 2), 2);
        Map<?, ?> total = (Map<?, ?>) first.get("stats_total");
        assertThat(total.get("num_requests")).isEqualTo(5L);
        assertThat(total.get("num_failures")).isEqualTo(1L);
        assertThat(total.get("response_times")).isEqualTo(Map.of(2L, 2L, 150L, 1L, 3L, 2L));
        assertThat(total.get("num_reqs_per_sec")).isEqualTo(Map.of(1001L, 3L, 1002L, 2L));
        assertThat(total.get("num_fail_per_sec")).isEqualTo(Map.of(1001L, 1L));
        assertThat((double) total.get("total_response_time")).isCloseTo(2 + 2 + 150 + 3 + 3, org.assertj.core.data.Offset.offset(0.5));
        assertThat(total.get("total_content_length")).isEqualTo(50L);
        assertThat(total.get("name")).isEqualTo("Aggregated");
        assertThat(total.get("method")).isEqualTo("");
        List<?> entries = (List<?>) first.get("stats");
        assertThat(entries).hasSize(1);
        assertThat(((Map<?, ?>) entries.get(0)).get("num_requests")).isEqualTo(5L);
        assertThat(List.copyOf(((Map<?, ?>) first.get("errors")).values())).isEqualTo(List.of(
                Map.of("name", "/x", "method", "GET", "error", "HTTPError: 500", "occurrences", 1L)));
        assertThat(first).containsEntry("user_count", 2).containsEntry("user_classes_count", Map.of("U", 2));

        // Nothing new: an empty report (the master adds zeros).
        stats.add(tick(1_003_000, 5, 1, times(), Map.of(err, 1L)));
        Map<String, Object> second = stats.report(Map.of("U", 2), 2);
        assertThat((List<?>) second.get("stats")).isEmpty();
        assertThat(((Map<?, ?>) second.get("stats_total")).get("num_requests")).isEqualTo(0L);
        assertThat((Map<?, ?>) second.get("errors")).isEmpty();
    }

    @Test
    void messagesRoundTripThroughMsgpackWithIntegerKeys() {
        Map<String, Object> data = Map.of("response_times", Map.of(150L, 2L), "name", "/x", "min", 0.25, "none", List.of());
        LocustMessage m = LocustMessage.decode(new LocustMessage("stats", data, "w_1").encode());
        assertThat(m.type()).isEqualTo("stats");
        assertThat(m.nodeId()).isEqualTo("w_1");
        assertThat(m.data()).isEqualTo(Map.of("response_times", Map.of(150L, 2L), "name", "/x", "min", 0.25, "none", List.of()));
        assertThat(LocustMessage.decode(new LocustMessage("stop", null, "w_1").encode()).data()).isNull();
    }
}
