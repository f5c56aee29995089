package io.stampede.loadgen.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

class GeneratorHealthTest {
    private final Deque<Double> lags = new ArrayDeque<>();
    private final GeneratorHealth health = new GeneratorHealth(() -> lags.isEmpty() ? 0 : lags.poll());

    private String sampleWith(double lagMs) {
        lags.add(lagMs);
        return health.sample();
    }

    @Test
    void aSingleLateSecondIsAStallNotSaturation() {
        for (double lag : List.of(1.0, 180.0, 2.0, 3.0, 95.0, 1.0)) {
            assertThat(sampleWith(lag)).isNull();
        }
        assertThat(health.saturated()).isFalse();
        assertThat(health.maxLagMs()).isEqualTo(180.0);
    }

    @Test
    void lateSecondAfterSecondWarnsAndMarksTheRun() {
        assertThat(sampleWith(60)).isNull();
        assertThat(sampleWith(75)).contains("saturated").contains("75 ms late");
        assertThat(sampleWith(2)).isNull();
        assertThat(health.saturated()).isTrue();
    }

    @Test
    void resetForgetsAStreakInProgress() {
        sampleWith(70);
        health.reset();
        assertThat(sampleWith(70)).isNull();
        assertThat(health.saturated()).isFalse();
    }
}
