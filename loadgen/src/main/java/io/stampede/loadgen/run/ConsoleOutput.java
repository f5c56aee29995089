package io.stampede.loadgen.run;

import io.stampede.common.Durations;
import io.stampede.common.Transport;
import io.stampede.loadgen.report.ConsoleTable;
import io.stampede.loadgen.report.QuickSummary;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * What a run prints: a line when it starts, Locust's statistics table every other tick (not in
 * quick mode or with {@code --only-summary}), the generator's warnings on standard error, the
 * reset, and the end tables (or quick mode's wrk-style summary).
 */
final class ConsoleOutput implements RunListener {
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean onlySummary;
    private final boolean web;
    private int ticks;

    ConsoleOutput(PrintWriter out, PrintWriter err, boolean onlySummary, boolean web) {
        this.out = out;
        this.err = err;
        this.onlySummary = onlySummary;
        this.web = web;
    }

    @Override
    public void started(RunSession run) {
        ticks = 0;
        RunRequest r = run.request();
        String pace = r.open() ? ", arrivals " + r.arrivals() : String.format(Locale.ROOT, " at %.1f/s", r.spawnRate());
        String length = r.runTime() == null ? (web ? "until stopped" : "until Ctrl-C") : "for " + Durations.format(r.runTime());
        if (web) {
            out.printf("Test started: %d users%s against %s (%s)%n", r.users(), pace, r.host(), length);
        } else {
            String mode = run.quick() ? "quick mode" : run.mode() + " model";
            out.printf("Stampede swarm: %s, %d users%s against %s (%s, %s)%n", mode, r.users(), pace, r.host(), length,
                    Transport.name());
        }
        out.flush();
    }

    @Override
    public void tick(RunSession run, StatsSnapshot snapshot, String warning) {
        if (warning != null) {
            err.println(warning);
            err.flush();
        }
        if (!onlySummary && !run.quick() && ++ticks % 2 == 0) {
            out.println(ConsoleTable.stats(snapshot));
            out.flush();
        }
    }

    @Override
    public void reset(RunSession run, boolean measuring) {
        if (measuring) {
            RunSession.Spec spec = run.spec();
            out.println("Statistics reset: all " + run.users() + " users spawned"
                    + (spec.warmup() == null ? "" : ", warm-up of " + Durations.format(spec.warmup()) + " done"));
            out.flush();
        }
    }

    @Override
    public void stopped(RunSession run, StatsSnapshot last) {
        if (web) {
            out.println("Test stopped.");
        }
        if (run.quick()) {
            out.print(QuickSummary.render(run.spec().quickUrl(), run.request().users(), last, run.request().open()));
        } else {
            ConsoleTable.printEnd(out, last);
        }
        out.println(ConsoleTable.generatorLine(run.health()));
        out.flush();
    }
}
