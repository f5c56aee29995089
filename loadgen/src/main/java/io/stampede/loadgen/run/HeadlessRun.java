package io.stampede.loadgen.run;

import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A swarm run without the web UI: one {@link RunSession} driven from the calling thread until its
 * run time is over or Ctrl-C, its outputs those of the command line. The command line only builds
 * the {@link Plan} and turns the last snapshot into an exit code.
 */
public final class HeadlessRun {
    private HeadlessRun() {}

    /** What to run and what to write. */
    public record Plan(RunSession.Spec spec, RunRequest request, SwarmSettings settings, RunOutputs.Options outputs) {}

    /** Runs until the run time is over or {@code interrupted} opens; returns the last snapshot. */
    public static StatsSnapshot run(Plan plan, PrintWriter out, PrintWriter err, CountDownLatch interrupted)
            throws InterruptedException {
        return run(plan, out, err, interrupted, s -> {});
    }

    /** As above; {@code created} is told of the session before it starts (the metrics endpoint reads it). */
    public static StatsSnapshot run(Plan plan, PrintWriter out, PrintWriter err, CountDownLatch interrupted,
                                    java.util.function.Consumer<RunSession> created) throws InterruptedException {
        RunSession session = new RunSession(plan.spec(), plan.request(), plan.settings(),
                RunOutputs.of(plan.outputs(), out, err, false), System::nanoTime);
        created.accept(session);
        try {
            session.start().join();
            while (!session.poll()) {
                if (interrupted.await(session.nanosToNextPoll(), TimeUnit.NANOSECONDS)) {
                    break;
                }
            }
        } finally {
            session.stop();
        }
        return session.last();
    }
}
