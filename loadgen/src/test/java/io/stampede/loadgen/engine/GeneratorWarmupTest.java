package io.stampede.loadgen.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The generator warms its own path against itself, within its count and time. */
class GeneratorWarmupTest {
    @Test
    void sendsItsRequestsToItselfAndStopsAtTheCountOrTheBudget() throws Exception {
        GeneratorWarmup.Result r = GeneratorWarmup.run(4, 1, false, 2_000, Duration.ofSeconds(20));
        assertThat(r.requests()).isGreaterThanOrEqualTo(2_000);
        assertThat(r.took()).isLessThan(Duration.ofSeconds(20));

        GeneratorWarmup.Result open = GeneratorWarmup.run(4, 1, true, 1_000, Duration.ofMillis(600));
        assertThat(open.requests()).as("both the closed and the open stretch ran").isGreaterThan(1_000);
        assertThat(open.took()).as("bounded by the budget and a half").isLessThan(Duration.ofSeconds(3));
    }
}
