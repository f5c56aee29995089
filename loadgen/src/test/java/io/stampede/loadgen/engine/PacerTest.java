package io.stampede.loadgen.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The pacer is a pure function: arrival n's due time, checked against tables. */
class PacerTest {
    static final long MS = 1_000_000L;

    @ParameterizedTest
    @CsvSource({"0, 0", "1, 100", "10, 1000", "25, 2500", "600, 60000"})
    void constantRateSpacesArrivalsEvenly(long n, long expectedMs) {
        assertThat(Pacer.constant(10).timeOf(n)).isEqualTo(expectedMs * MS);
    }

    @ParameterizedTest
    @CsvSource({
        // ramp 0 -> 100/s over 10s: A(t) = 5 t^2, so arrival n is at sqrt(n / 5) s
        "0, 0", "5, 1000", "20, 2000", "125, 5000", "320, 8000", "499, 9990",
        // then 100/s flat for 5 s: 500 arrivals by 10 s, one every 10 ms
        "500, 10000", "600, 11000", "999, 14990"})
    void rampingStagesFollowTheIntegralOfTheRate(long n, long expectedMs) {
        Pacer p = Pacer.stages(List.of(new Pacer.Stage(Duration.ofSeconds(10), 100), new Pacer.Stage(Duration.ofSeconds(5), 100)));
        assertThat((double) p.timeOf(n) / MS).isCloseTo(expectedMs, Offset.offset(1.0));
    }

    @Test
    void rampingDownAndTheEnd() {
        Pacer p = Pacer.parseStages("10s:100/s,10s:0/s");
        // 500 arrivals up, 500 down; the last is due just before 20 s, then nothing.
        assertThat(p.timeOf(999)).isLessThan(20_000 * MS).isGreaterThan(19_000 * MS);
        assertThat(p.timeOf(1000)).isEqualTo(-1);
        assertThat(p.total()).isEqualTo(Duration.ofSeconds(20));
        assertThat(p.rateAt(5_000 * MS)).isEqualTo(50.0);
        assertThat(p.rateAt(15_000 * MS)).isEqualTo(50.0);
    }

    @Test
    void arrivalTimesNeverGoBackwards() {
        Pacer p = Pacer.parseStages("3s:50/s,2s:200/s,4s:10/s");
        long last = -1;
        for (long n = 0; ; n++) {
            long t = p.timeOf(n);
            if (t < 0) {
                break;
            }
            assertThat(t).isGreaterThanOrEqualTo(last);
            last = t;
        }
        assertThat(last).isLessThanOrEqualTo(9_000 * MS);
    }

    @ParameterizedTest
    @CsvSource({"500/s, 500", "30/m, 0.5", "7200/h, 2", "12, 12"})
    void ratesParse(String text, double perSecond) {
        assertThat(Pacer.parseRate(text)).isEqualTo(perSecond);
    }

    @Test
    void badRatesAndStagesSayWhatWasExpected() {
        assertThatThrownBy(() -> Pacer.parseRate("fast")).hasMessageContaining("'fast' is not a rate (expected e.g. 500/s");
        assertThatThrownBy(() -> Pacer.parseRate("0/s")).hasMessageContaining("is not a rate");
        assertThatThrownBy(() -> Pacer.parseStages("30s-100/s")).hasMessageContaining("expected DURATION:RATE");
        assertThatThrownBy(() -> Pacer.parseStages("0s:10/s")).hasMessageContaining("lasts 0s");
    }

    /** Execution segments: the arrivals of segments 0..N-1 together are the whole schedule's, each at its time, none twice. */
    @org.junit.jupiter.api.Test
    void segmentsTogetherAreTheWholeScheduleExactly() {
        for (Pacer whole : java.util.List.of(Pacer.parseStages("2s:50/s,3s:50/s,1s:0/s"), Pacer.parseStages("1s:7/s,2s:31/s"))) {
            java.util.List<Long> all = times(whole);
            for (int count : new int[] {1, 2, 3, 7}) {
                java.util.List<Long> union = new java.util.ArrayList<>();
                for (int i = 0; i < count; i++) {
                    union.addAll(times(whole.segment(i, count)));
                }
                java.util.Collections.sort(union);
                org.assertj.core.api.Assertions.assertThat(union).as("%d segments", count).isEqualTo(all);
            }
        }
        org.assertj.core.api.Assertions.assertThat(Pacer.constant(100).segment(1, 4).timeOf(0)).isEqualTo(10 * MS);
        org.assertj.core.api.Assertions.assertThat(Pacer.constant(100).segment(1, 4).rateAt(0)).isEqualTo(25.0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Pacer.constant(1).segment(4, 4))
                .hasMessageContaining("segment 4/4");
    }

    private static java.util.List<Long> times(Pacer p) {
        java.util.List<Long> out = new java.util.ArrayList<>();
        for (long n = 0; n < 100_000; n++) {
            long t = p.timeOf(n);
            if (t < 0) {
                break;
            }
            out.add(t);
        }
        return out;
    }
}
