package io.stampede.loadgen.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The generator warms its own path against itself, and stops at its count or its time, whichever comes first. */
class GeneratorWarmupTest {
    @Test
    void theCountEndsItLongBeforeAGenerousBudget() throws Exception {
        GeneratorWarmup.Result r = GeneratorWarmup.run(4, 1, false, 0, 2_000, Duration.ofSeconds(60));
        assertThat(r.requests()).isGreaterThanOrEqualTo(2_000);
        assertThat(r.took()).as("stopped by the count, not the 60 s budget").isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void theBudgetEndsItWhenTheCountIsOutOfReach() throws Exception {
        // A billion requests cannot be sent in half a second: only the budget (and half more for
        // the open stretch) can end this.
        GeneratorWarmup.Result r = GeneratorWarmup.run(4, 1, true, 0, 1_000_000_000L, Duration.ofMillis(500));
        assertThat(r.requests()).as("both stretches sent something").isPositive();
        assertThat(r.took()).isGreaterThanOrEqualTo(Duration.ofMillis(500)).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void http2WarmsAgainstAnH2cResponder() throws Exception {
        GeneratorWarmup.Result r = GeneratorWarmup.run(8, 1, false, 2, 2_000, Duration.ofSeconds(60));
        assertThat(r.requests()).as("every stream answered").isGreaterThanOrEqualTo(2_000);
        assertThat(r.took()).isLessThan(Duration.ofSeconds(30));
    }
}
