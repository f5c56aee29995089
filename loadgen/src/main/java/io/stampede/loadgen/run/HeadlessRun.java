package io.stampede.loadgen.run;

import io.stampede.common.Durations;
import io.stampede.common.Transport;
import io.stampede.common.wire.ReadyLine;
import io.stampede.loadgen.engine.Pacer;
import io.stampede.loadgen.engine.Swarm;
import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.report.ConsoleTable;
import io.stampede.loadgen.report.CsvFiles;
import io.stampede.loadgen.report.GeneratorHealth;
import io.stampede.loadgen.report.HdrLog;
import io.stampede.loadgen.report.HtmlReport;
import io.stampede.loadgen.report.JsonSummary;
import io.stampede.loadgen.report.QuickSummary;
import io.stampede.loadgen.report.ReportSettings;
import io.stampede.loadgen.report.Timeline;
import io.stampede.loadgen.scenario.Scenario;
import io.stampede.loadgen.stats.StatsCollector;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A swarm run without the web UI, from start to its last outputs: spawn, an optional warm-up and
 * statistics reset, a tick a second (CSV, HdrHistogram log, timeline, console table, the
 * generator's warnings), and at the end the console summary, JSON and HTML. The command line
 * only builds the {@link Plan} and turns the last snapshot into an exit code.
 */
public final class HeadlessRun {
    private HeadlessRun() {}

    /**
     * What to run and what to write.
     *
     * @param quickUrl the URL of quick mode, or null for a scenario
     * @param scenarioLabel what the report names as the scenario
     * @param arrivals the open model's rate or stages as given, or null for the closed model
     */
    public record Plan(Scenario scenario, SwarmSettings settings, String host, String quickUrl, String scenarioLabel,
                       String arrivals, boolean resetStats, Duration warmup, boolean onlySummary, String csvPrefix,
                       boolean csvFullHistory, Path hdrLog, Path jsonFile, Path htmlFile) {}

    /** Runs until the run time is over or {@code interrupted} opens; returns the last snapshot. */
    public static StatsSnapshot run(Plan plan, PrintWriter out, PrintWriter err, CountDownLatch interrupted)
            throws IOException, InterruptedException {
        SwarmSettings settings = plan.settings();
        StatsCollector collector = new StatsCollector(System::nanoTime);
        Swarm swarm = new Swarm(plan.scenario(), settings, collector);
        collector.countUsers(swarm::users);
        GeneratorHealth health = new GeneratorHealth(swarm::takeMaxLagMs);
        String host = plan.host();
        boolean quick = plan.quickUrl() != null;
        Pacer pacer = settings.pacer();
        Duration run = settings.runTime();
        Duration warmup = plan.warmup();
        CsvFiles csv = plan.csvPrefix() == null ? null : new CsvFiles(plan.csvPrefix(), plan.csvFullHistory());
        HdrLog hdr = plan.hdrLog() == null ? null : new HdrLog(plan.hdrLog(), System.currentTimeMillis());
        Timeline timeline = plan.htmlFile() == null ? null : new Timeline();
        String mode = quick ? "quick" : pacer != null ? "open" : "closed";
        String modeLabel = quick ? "quick mode" : mode + " model";
        out.printf("Stampede swarm: %s, %d users%s against %s (%s, %s)%n", modeLabel, settings.users(),
                pacer == null ? String.format(" at %.1f/s", settings.spawnRate()) : ", arrivals " + plan.arrivals(), host,
                run == null ? "until Ctrl-C" : "for " + Durations.format(run), Transport.name());
        out.flush();
        ReadyLine.of("swarm", "started", List.of(host), null).announce(out);
        swarm.start().join();
        if (pacer != null) {
            collector.startClock(); // the open model's users were started and logged in before this
        }
        long start = System.nanoTime();
        long end = run == null ? Long.MAX_VALUE : start + run.toNanos();
        boolean resetDone = false;
        boolean resetPending = plan.resetStats() || warmup != null;
        long spawnedAt = 0;
        long nextTick = start + TimeUnit.SECONDS.toNanos(1);
        int tick = 0;
        try {
            while (System.nanoTime() < end) {
                long now = System.nanoTime();
                long wake = Math.min(nextTick, end);
                if (resetPending && !resetDone) {
                    // The reset is checked every 50 ms, so the measured window starts on time.
                    wake = Math.min(wake, spawnedAt == 0 ? now + TimeUnit.MILLISECONDS.toNanos(50) : spawnedAt + warmup.toNanos());
                }
                if (interrupted.await(Math.max(1, wake - now), TimeUnit.NANOSECONDS)) {
                    break;
                }
                if (resetPending && !resetDone && !swarm.spawning()) {
                    if (spawnedAt == 0) {
                        spawnedAt = System.nanoTime();
                    }
                    if (warmup == null || System.nanoTime() - spawnedAt >= warmup.toNanos()) {
                        collector.reset();
                        health.reset();
                        resetDone = true;
                        out.println("Statistics reset: all " + swarm.users() + " users spawned"
                                + (warmup == null ? "" : ", warm-up of " + Durations.format(warmup) + " done"));
                        out.flush();
                        ReadyLine.of("swarm", "measuring", List.of(host), null).announce(out);
                    }
                }
                if (System.nanoTime() < nextTick && System.nanoTime() < end) {
                    continue;
                }
                nextTick += TimeUnit.SECONDS.toNanos(1);
                StatsSnapshot s = collector.collect();
                if (csv != null) {
                    csv.update(s);
                }
                if (timeline != null) {
                    timeline.add(s);
                }
                if (hdr != null) {
                    hdr.write(s);
                }
                String warning = health.sample();
                if (warning != null) {
                    err.println(warning);
                    err.flush();
                }
                if (!plan.onlySummary() && !quick && ++tick % 2 == 0) {
                    out.println(ConsoleTable.stats(s));
                    out.flush();
                }
            }
        } finally {
            collector.stopClock();
            swarm.close();
        }
        StatsSnapshot last = collector.collect();
        health.sample();
        if (csv != null) {
            csv.update(last);
        }
        if (hdr != null) {
            hdr.write(last);
            hdr.close();
        }
        if (quick) {
            out.print(QuickSummary.render(plan.quickUrl(), settings.users(), last, pacer != null));
        } else {
            ConsoleTable.printEnd(out, last);
        }
        out.println(ConsoleTable.generatorLine(health));
        if (plan.jsonFile() != null) {
            JsonSummary.of(mode, last, settings.users(), health).write(plan.jsonFile());
        }
        if (plan.htmlFile() != null) {
            timeline.add(last);
            Map<String, String> reportSettings = ReportSettings.of(host, plan.scenarioLabel(),
                    modeLabel + (pacer != null ? ", arrivals " + plan.arrivals() : ""),
                    settings.users() + (pacer == null
                            ? String.format(Locale.ROOT, " (spawned at %.1f/s)", settings.spawnRate()) : ""),
                    null, run, last, health);
            HtmlReport.write(plan.htmlFile(), "Stampede swarm: " + host, reportSettings, last, timeline);
        }
        return last;
    }
}
