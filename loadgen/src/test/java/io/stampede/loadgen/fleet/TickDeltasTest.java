package io.stampede.loadgen.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.loadgen.stats.Endpoint;
import io.stampede.loadgen.stats.ErrorKey;
import io.stampede.loadgen.stats.Recording;
import io.stampede.loadgen.stats.StatsCollector;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A worker's ticks carry exactly what was recorded since the last one, and added up they are the whole run. */
class TickDeltasTest {

    @Test
    void eachTickHoldsOnlyWhatIsNewAndTheirSumIsTheWhole() {
        StatsCollector worker = new StatsCollector(() -> 0L);
        Recording r = worker.newRecording();
        StatsCollector parent = new StatsCollector(() -> 0L);
        Recording into = parent.newRecording();
        TickDeltas deltas = new TickDeltas();

        r.record("GET", "/a", 2_000_000, 1_000_000, 100, null);
        r.record("GET", "/a", 9_000_000, 8_000_000, 100, "HTTP 500");
        r.exception("no token");
        r.dropped();
        r.handshake(3_000_000, false);
        TickDeltas.Delta first = deltas.next(worker.collect());
        assertThat(first.endpoints()).hasSize(1);
        assertThat(first.endpoints().get(0).latency().getTotalCount()).isEqualTo(2);
        assertThat(first.endpoints().get(0).failures()).isEqualTo(1);
        assertThat(first.endpoints().get(0).bytes()).isEqualTo(200);
        assertThat(first.errors()).isEqualTo(Map.of(new ErrorKey("GET", "/a", "HTTP 500"), 1L));
        assertThat(first.exceptions()).isEqualTo(Map.of("no token", 1L));
        assertThat(first.dropped()).isEqualTo(1);
        assertThat(first.handshakes().getTotalCount()).isEqualTo(1);
        assertThat(first.resumed()).isZero();
        apply(first, into);

        // Nothing new: an empty tick.
        TickDeltas.Delta idle = deltas.next(worker.collect());
        assertThat(idle.endpoints()).isEmpty();
        assertThat(idle.errors()).isEmpty();
        assertThat(idle.exceptions()).isEmpty();
        assertThat(idle.dropped()).isZero();
        assertThat(idle.handshakes().getTotalCount()).isZero();
        apply(idle, into);

        r.record("GET", "/a", 4_000_000, 3_000_000, 50, "HTTP 500");
        r.record("POST", "/b", 1_000_000, 900_000, 10, null);
        r.exception("no token");
        r.handshake(2_000_000, true);
        TickDeltas.Delta second = deltas.next(worker.collect());
        assertThat(second.endpoints()).extracting(Wire.EndpointDelta::endpoint)
                .containsExactly(new Endpoint("GET", "/a"), new Endpoint("POST", "/b"));
        assertThat(second.endpoints().get(0).latency().getTotalCount()).isEqualTo(1);
        assertThat(second.endpoints().get(0).latency().getMaxValue()).isEqualTo(second.endpoints().get(0).latency()
                .highestEquivalentValue(4_000));
        assertThat(second.errors()).isEqualTo(Map.of(new ErrorKey("GET", "/a", "HTTP 500"), 1L));
        assertThat(second.exceptions()).isEqualTo(Map.of("no token", 1L));
        assertThat(second.dropped()).isZero();
        assertThat(second.resumed()).isEqualTo(1);
        apply(second, into);

        StatsSnapshot whole = worker.collect();
        StatsSnapshot summed = parent.collect();
        assertThat(summed.total().requests()).isEqualTo(whole.total().requests()).isEqualTo(4);
        assertThat(summed.total().failures()).isEqualTo(whole.total().failures()).isEqualTo(2);
        assertThat(summed.total().bytes()).isEqualTo(whole.total().bytes());
        assertThat(summed.total().latency()).isEqualTo(whole.total().latency());
        assertThat(summed.total().service()).isEqualTo(whole.total().service());
        assertThat(summed.errors()).isEqualTo(whole.errors());
        assertThat(summed.exceptions()).isEqualTo(whole.exceptions());
        assertThat(summed.dropped()).isEqualTo(whole.dropped());
        assertThat(summed.handshakes().count()).isEqualTo(whole.handshakes().count());
        assertThat(summed.handshakes().resumed()).isEqualTo(whole.handshakes().resumed());
    }

    /** As the parent adds a worker's tick. */
    private static void apply(TickDeltas.Delta d, Recording into) {
        FleetLoad.absorb(into, d.endpoints(), d.errors(), d.exceptions(), d.dropped(), d.handshakes(), d.resumed());
    }
}
