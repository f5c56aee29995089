package io.stampede.loadgen.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Worker processes' intervals added into the parent's recordings (--processes) give the same
 * statistics as one process that recorded every value itself: bucket for bucket, so every
 * percentile is the one of all raw values.
 */
class RecordingAbsorbTest {

    @Property(tries = 200)
    void absorbedIntervalsEqualOneRecordingOfEveryValue(
            @ForAll @Size(min = 1, max = 400) List<@LongRange(min = 1, max = 600_000_000_000L) Long> latenciesNanos,
            @ForAll @IntRange(min = 1, max = 5) int workers, @ForAll @IntRange(min = 1, max = 3) int ticks) {
        StatsCollector alone = new StatsCollector(() -> 0L);
        Recording one = alone.newRecording();
        StatsCollector parent = new StatsCollector(() -> 0L);
        List<Recording> absorbed = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            absorbed.add(parent.newRecording());
        }
        // Each worker records its share in its own collector and sends interval differences, tick by tick.
        List<StatsCollector> workerCollectors = new ArrayList<>();
        List<Recording> workerRecordings = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            StatsCollector c = new StatsCollector(() -> 0L);
            workerCollectors.add(c);
            workerRecordings.add(c.newRecording());
        }
        List<StatsSnapshot> previous = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            previous.add(null);
        }
        int perTick = Math.max(1, latenciesNanos.size() / ticks);
        for (int i = 0; i < latenciesNanos.size(); i++) {
            long v = latenciesNanos.get(i);
            String error = v % 7 == 0 ? "HTTP 500" : null;
            one.record("GET", "/x", v, v / 2, 10, error);
            workerRecordings.get(i % workers).record("GET", "/x", v, v / 2, 10, error);
            if ((i + 1) % perTick == 0 || i == latenciesNanos.size() - 1) {
                for (int w = 0; w < workers; w++) {
                    StatsSnapshot now = workerCollectors.get(w).collect();
                    sendDifference(previous.get(w), now, absorbed.get(w));
                    previous.set(w, now);
                }
            }
        }
        EndpointStats expected = alone.collect().total();
        StatsSnapshot merged = parent.collect();
        EndpointStats actual = merged.total();
        assertThat(actual.requests()).isEqualTo(expected.requests());
        assertThat(actual.failures()).isEqualTo(expected.failures());
        assertThat(actual.bytes()).isEqualTo(expected.bytes());
        assertThat(buckets(actual.latency())).isEqualTo(buckets(expected.latency()));
        assertThat(buckets(actual.service())).isEqualTo(buckets(expected.service()));
        for (double p : new double[] {0, 1, 50, 66, 90, 95, 99, 99.9, 99.99, 100}) {
            assertThat(actual.percentileMs(p)).as("p%s", p).isEqualTo(expected.percentileMs(p));
        }
        assertThat(actual.meanMs()).isEqualTo(expected.meanMs());
        assertThat(merged.errors()).isEqualTo(alone.collect().errors());
    }

    /** What a worker process's tick carries, applied as the parent applies it. */
    private static void sendDifference(StatsSnapshot before, StatsSnapshot now, Recording into) {
        for (EndpointStats e : now.endpoints()) {
            EndpointStats b = before == null ? null : before.endpoints().stream().filter(x -> x.endpoint().equals(e.endpoint()))
                    .findFirst().orElse(null);
            Histogram lat = e.latency().copy();
            Histogram svc = e.service().copy();
            if (b != null) {
                lat.subtract(b.latency());
                svc.subtract(b.service());
            }
            into.absorb(e.endpoint(), lat, svc, e.failures() - (b == null ? 0 : b.failures()), e.bytes() - (b == null ? 0 : b.bytes()));
        }
        now.errors().forEach((k, v) -> into.absorbErrors(k, v - (before == null ? 0 : before.errors().getOrDefault(k, 0L))));
    }

    private static List<List<Long>> buckets(Histogram h) {
        List<List<Long>> out = new ArrayList<>();
        for (HistogramIterationValue v : h.recordedValues()) {
            out.add(List.of(h.lowestEquivalentValue(v.getValueIteratedTo()), v.getCountAtValueIteratedTo()));
        }
        return out;
    }
}
