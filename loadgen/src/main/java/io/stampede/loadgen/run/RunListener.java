package io.stampede.loadgen.run;

import io.stampede.loadgen.stats.StatsSnapshot;

/**
 * What a run's outputs hear (CSV files, the HdrHistogram log, the console, the final JSON and HTML,
 * the web page's event stream): the same calls in headless and web mode, always on the thread
 * that drives the {@link RunSession}, one call at a time.
 */
public interface RunListener {
    /** The run is about to spawn its users. */
    default void started(RunSession run) {}

    /** A statistics tick (about once a second); {@code generatorWarning} is null when the generator is fine. */
    default void tick(RunSession run, StatsSnapshot snapshot, String generatorWarning) {}

    /**
     * The statistics started again from zero: after the warm-up or once all users spawned
     * ({@code measuring}: the measured window begins), or the page's Reset button.
     */
    default void reset(RunSession run, boolean measuring) {}

    /** The users stopped; {@code last} is the run's final snapshot. */
    default void stopped(RunSession run, StatsSnapshot last) {}

    /** A listener that hands every snapshot, each tick's and the last, to {@code each}. */
    static RunListener everySnapshot(java.util.function.Consumer<StatsSnapshot> each) {
        return new RunListener() {
            @Override
            public void tick(RunSession run, StatsSnapshot snapshot, String generatorWarning) {
                each.accept(snapshot);
            }

            @Override
            public void stopped(RunSession run, StatsSnapshot last) {
                each.accept(last);
            }
        };
    }
}
