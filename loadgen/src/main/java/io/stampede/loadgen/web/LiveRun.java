package io.stampede.loadgen.web;

import io.stampede.loadgen.report.ReportSettings;
import io.stampede.loadgen.engine.Swarm;
import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.report.GeneratorHealth;
import io.stampede.loadgen.report.Timeline;
import io.stampede.loadgen.scenario.Scenario;
import io.stampede.loadgen.stats.StatsCollector;
import io.stampede.loadgen.stats.StatsSnapshot;

/**
 * One test started from the web UI, from {@code POST /swarm} to its stop: its swarm, statistics,
 * timeline (what the charts show) and generator health. Sampled and stopped only by
 * {@link RunControl}'s thread; {@link #last} is read by anyone.
 */
public final class LiveRun {
    final RunRequest request;
    final Swarm swarm;
    final StatsCollector collector;
    final Timeline timeline = new Timeline();
    final GeneratorHealth health;
    final long startedMillis = System.currentTimeMillis();
    /** When the run time starts counting: at once, or (open model) when the arrivals begin. */
    private volatile long startedNanos = System.nanoTime();
    /** The request in force: the start's, then each edit's. */
    private volatile RunRequest inForce;
    private volatile StatsSnapshot last;

    LiveRun(Scenario scenario, SwarmSettings settings, RunRequest request) {
        this.request = request;
        this.inForce = request;
        this.collector = new StatsCollector(System::nanoTime);
        this.swarm = new Swarm(scenario, settings, collector);
        collector.countUsers(swarm::users);
        this.health = new GeneratorHealth(swarm::takeMaxLagMs);
    }

    /** A statistics tick: the snapshot, added to the timeline; returns the generator's warning, if any. */
    String sample() {
        StatsSnapshot s = collector.collect();
        timeline.add(s);
        last = s;
        return health.sample();
    }

    /** The open model's arrivals began (its users logged in): the run time and the rates count from here. */
    void arrivalsBegan() {
        collector.startClock();
        startedNanos = System.nanoTime();
    }

    RunRequest inForce() {
        return inForce;
    }

    void edited(RunRequest r) {
        inForce = r;
    }

    boolean runTimeOver() {
        return request.runTime() != null && System.nanoTime() - startedNanos >= request.runTime().toNanos();
    }

    /** Stops the users (their last responses still count) and takes the final snapshot. */
    void stop() {
        collector.stopClock();
        swarm.close();
        sample();
    }

    void reset() {
        collector.reset();
        health.reset();
        last = collector.collect();
    }

    /** The HTML report of this run so far (or in full, once stopped): the same page as {@code --html}. */
    public String report(String scenarioSource) throws java.io.IOException {
        StatsSnapshot s = last != null ? last : collector.collect();
        RunRequest request = inForce;
        java.util.Map<String, String> settings = ReportSettings.of(request.host(), scenarioSource,
                request.rate() == null ? "closed model"
                        : String.format(java.util.Locale.ROOT, "open model, arrivals %.1f/s", request.rate()),
                request.users() + (request.rate() == null
                        ? String.format(java.util.Locale.ROOT, " (spawned at %.1f/s)", request.spawnRate()) : " at most"),
                java.time.Instant.ofEpochMilli(startedMillis), request.runTime(), s, health);
        return io.stampede.loadgen.report.HtmlReport.render("Stampede swarm: " + request.host(), settings, s, timeline);
    }

    public RunRequest request() {
        return request;
    }

    public StatsSnapshot last() {
        return last;
    }

    public Timeline timeline() {
        return timeline;
    }

    public GeneratorHealth health() {
        return health;
    }
}
