package io.stampede.loadgen.run;

import io.stampede.loadgen.engine.Load;
import io.stampede.loadgen.engine.Segment;
import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.report.GeneratorHealth;
import io.stampede.loadgen.report.HtmlReport;
import io.stampede.loadgen.report.ReportSettings;
import io.stampede.loadgen.report.Timeline;
import io.stampede.loadgen.scenario.Scenario;
import io.stampede.loadgen.stats.StatsCollector;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One run, headless or from the web UI, from its start to its final snapshot: the swarm, its
 * statistics, the timeline the charts draw, the generator's health, the warm-up that ends in a
 * statistics reset, the run time, and edits while it runs. Its outputs are {@link RunListener}s.
 *
 * <p>A driver calls {@link #poll()} often enough ({@link #nanosToNextPoll()} says when), all from
 * one thread: headless mode's main thread, or the web UI's control thread. The clock is injected,
 * so a test drives ticks, the warm-up and the run time by hand.
 */
public final class RunSession {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    /** While a warm-up reset waits for the spawn to end, look this often, so it lands on time. */
    private static final long RESET_CHECK = TimeUnit.MILLISECONDS.toNanos(50);

    /**
     * What a run is besides its request.
     *
     * @param quickUrl quick mode's URL, or null for a scenario
     * @param scenarioLabel what the report names as the scenario
     * @param resetWhenSpawned reset the statistics once all users are spawned ({@code --reset-stats})
     * @param warmup reset this long after the spawn ended ({@code --warmup}), or null
     * @param load where the users run: this process ({@link Load#LOCAL}) or worker processes
     * @param segment this run's share of the load ({@code --segment}; a worker process's), which
     *        an edit's arrivals are cut to
     */
    public record Spec(Scenario scenario, String quickUrl, String scenarioLabel, boolean resetWhenSpawned, Duration warmup,
                       Load.Factory load, Segment segment) {
        /** A run of this process's users, the whole load. */
        public Spec(Scenario scenario, String quickUrl, String scenarioLabel, boolean resetWhenSpawned, Duration warmup) {
            this(scenario, quickUrl, scenarioLabel, resetWhenSpawned, warmup, Load.LOCAL, Segment.WHOLE);
        }

        /** The same run with its users somewhere else (worker processes) or a share of them. */
        public Spec with(Load.Factory load, Segment segment) {
            return new Spec(scenario, quickUrl, scenarioLabel, resetWhenSpawned, warmup, load, segment);
        }

        boolean measuresAfterReset() {
            return resetWhenSpawned || warmup != null;
        }
    }

    private final Spec spec;
    private final RunRequest started;
    private final SwarmSettings settings;
    private final Load swarm;
    private final StatsCollector collector;
    private final GeneratorHealth health;
    private final Timeline timeline = new Timeline();
    private final List<RunListener> listeners;
    private final LongSupplier clock;
    private final long startedMillis = System.currentTimeMillis();

    private volatile RunRequest inForce;
    private volatile StatsSnapshot last;
    /** When the run time starts counting: at the start, or (open model) when the arrivals begin; null before. */
    private volatile Long runClockStart;
    private volatile boolean stopped;
    private long nextTick;
    private boolean resetPending;
    private Long spawnedAt;

    /** @param clock nanoseconds, {@code System::nanoTime} outside tests */
    public RunSession(Spec spec, RunRequest request, SwarmSettings settings, List<RunListener> listeners, LongSupplier clock) {
        this.spec = spec;
        this.started = request;
        this.inForce = request;
        this.settings = settings;
        this.listeners = List.copyOf(listeners);
        this.clock = clock;
        this.collector = new StatsCollector(clock);
        this.swarm = spec.load().create(spec.scenario(), settings,
                new Load.Request(request.users(), request.spawnRate(), request.host(), request.arrivals()), collector);
        collector.countUsers(swarm::users);
        this.health = new GeneratorHealth(swarm::takeMaxLagMs, swarm::cpuLoad, swarm::gcMillis);
        this.resetPending = spec.measuresAfterReset();
    }

    /**
     * Tells the listeners, then spawns the users; the future completes when the spawn (open model:
     * the log-ins) is done. A listener that cannot start (a file that cannot be written) stops it here.
     */
    public CompletableFuture<Void> start() {
        try {
            listeners.forEach(l -> l.started(this));
        } catch (RuntimeException e) {
            stopped = true; // never started: stop() has nothing to tell
            swarm.close();
            throw e;
        }
        long now = clock.getAsLong();
        nextTick = now + SECOND;
        if (!started.open()) {
            runClockStart = now;
        }
        return swarm.start().thenRun(() -> {
            if (started.open() && !swarm.stopping()) {
                collector.startClock(); // the open model's users were started and logged in before this
                runClockStart = clock.getAsLong();
            }
        });
    }

    /**
     * Does what is due: the warm-up's reset, a statistics tick. Returns true when the run time is
     * over (the driver then calls {@link #stop()}).
     */
    public boolean poll() {
        if (stopped) {
            return true;
        }
        long now = clock.getAsLong();
        if (resetPending && !swarm.spawning()) {
            if (spawnedAt == null) {
                spawnedAt = now;
            }
            if (spec.warmup() == null || now - spawnedAt >= spec.warmup().toNanos()) {
                resetPending = false;
                resetStatistics(true);
            }
        }
        if (now - nextTick >= 0) {
            nextTick = Math.max(nextTick + SECOND, now + SECOND / 2); // a late tick is not followed by a burst
            tick();
        }
        return runTimeOver(now);
    }

    /** How long the driver may wait before the next {@link #poll()}. */
    public long nanosToNextPoll() {
        long now = clock.getAsLong();
        long wait = nextTick - now;
        if (resetPending) {
            wait = Math.min(wait, spawnedAt == null ? RESET_CHECK : spawnedAt + spec.warmup().toNanos() - now);
        }
        Long from = runClockStart;
        Duration runTime = inForce.runTime();
        if (from != null && runTime != null) {
            wait = Math.min(wait, from + runTime.toNanos() - now);
        } else if (from == null) {
            wait = Math.min(wait, RESET_CHECK); // the open model's arrivals may begin any moment
        }
        return Math.max(1, wait);
    }

    /** A statistics tick now, whatever the clock (a Locust worker reports before it stops). */
    public void tickNow() {
        if (!stopped) {
            tick();
        }
    }

    private void tick() {
        StatsSnapshot s = collector.collect();
        timeline.add(s);
        last = s;
        String warning = health.sample();
        tell(l -> l.tick(this, s, warning));
    }

    private boolean runTimeOver(long now) {
        Long from = runClockStart;
        Duration runTime = inForce.runTime();
        return from != null && runTime != null && now - from >= runTime.toNanos();
    }

    /** Every request of this process's users is also written to {@code log} from now on ({@code --raw-log}). */
    public void recordRawTo(io.stampede.loadgen.stats.RawLog log) {
        collector.recordRaw(log);
    }

    /** The page's Reset button: the statistics start again from zero; the timeline keeps its past. */
    public void reset() {
        if (!stopped) {
            resetStatistics(false);
        }
    }

    private void resetStatistics(boolean measuring) {
        collector.reset();
        health.reset();
        last = collector.collect();
        tell(l -> l.reset(this, measuring));
    }

    /**
     * The page's Edit: a new user count and spawn rate and (open model) new arrivals; the run time
     * stays as it started. Returns the request now in force.
     */
    public RunRequest edit(RunRequest r) {
        RunRequest was = inForce;
        if (r.open() != was.open()) {
            throw new IllegalArgumentException("rate: a running test cannot switch between the closed and the"
                    + " open model; stop it and start a new one");
        }
        if (!r.host().equals(was.host())) {
            throw new IllegalArgumentException("host: a running test cannot change its host; stop it first");
        }
        swarm.retarget(r.users(), r.spawnRate());
        if (r.open() && !r.arrivals().equals(was.arrivals())) {
            swarm.changeArrivals(r.arrivals(), spec.segment().arrivals(r.pacer()));
        }
        RunRequest now = new RunRequest(r.users(), r.spawnRate(), was.host(), was.runTime(), r.arrivals());
        inForce = now;
        return now;
    }

    /**
     * Exact users per class by name (a Locust master's spawn message), spawned at once; classes
     * not named get none. Returns the total.
     *
     * @throws IllegalArgumentException naming a class the scenario does not have
     */
    public int editClasses(Map<String, Integer> counts) {
        List<io.stampede.loadgen.scenario.UserClass> classes = spec.scenario().users();
        int[] perClass = new int[classes.size()];
        int total = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            int i = 0;
            while (i < classes.size() && !classes.get(i).name().equals(e.getKey())) {
                i++;
            }
            if (i == classes.size() && e.getValue() == 0) {
                continue; // the master names every class of its locustfile, those it gives none too
            }
            if (i == classes.size()) {
                throw new IllegalArgumentException("user class '" + e.getKey() + "' is not in the scenario (it has "
                        + String.join(", ", classes.stream().map(io.stampede.loadgen.scenario.UserClass::name).toList()) + ")");
            }
            perClass[i] = e.getValue();
            total += e.getValue();
        }
        swarm.retargetClasses(perClass, Math.max(1, total) * 1000.0);
        inForce = new RunRequest(Math.max(1, total), Math.max(1, total) * 1000.0, inForce.host(), inForce.runTime(), null);
        return total;
    }

    /** Stops the users (their last responses still count), takes the final snapshot and tells the listeners. */
    public void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        collector.stopClock();
        swarm.close();
        StatsSnapshot s = collector.collect();
        timeline.add(s);
        last = s;
        health.sample();
        tell(l -> l.stopped(this, s));
    }

    /** Tells every listener, even when one fails (a file that cannot be written); then throws the first failure. */
    private void tell(java.util.function.Consumer<RunListener> call) {
        RuntimeException failed = null;
        for (RunListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                failed = failed == null ? e : failed;
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** The HTML report of this run so far (or in full, once stopped): the page {@code --html} writes. */
    public String htmlReport() throws IOException {
        StatsSnapshot s = last != null ? last : collector.collect();
        RunRequest r = inForce;
        String model = (quick() ? "quick mode" : r.modelLabel());
        String users = r.users() + (r.open() ? " at most" : String.format(Locale.ROOT, " (spawned at %.1f/s)", r.spawnRate()));
        return HtmlReport.render(title(), ReportSettings.of(r.host(), spec.scenarioLabel(), model, users,
                Instant.ofEpochMilli(startedMillis), r.runTime(), s, health), s, timeline);
    }

    /** The report's and the summary's mode: "quick", "open" or "closed". */
    public String mode() {
        return quick() ? "quick" : inForce.open() ? "open" : "closed";
    }

    public String title() {
        return "Stampede swarm: " + inForce.host();
    }

    public boolean quick() {
        return spec.quickUrl() != null;
    }

    public Spec spec() {
        return spec;
    }

    /** The request in force: the start's, then each edit's. */
    public RunRequest request() {
        return inForce;
    }

    public SwarmSettings settings() {
        return settings;
    }

    /** The last snapshot taken (a tick, a reset or the stop), or null before the first. */
    public StatsSnapshot last() {
        return last;
    }

    public Timeline timeline() {
        return timeline;
    }

    public GeneratorHealth health() {
        return health;
    }

    public long startedMillis() {
        return startedMillis;
    }

    public boolean stopped() {
        return stopped;
    }

    public boolean spawning() {
        return swarm.spawning();
    }

    public int users() {
        return swarm.users();
    }

    public java.util.Map<String, Integer> usersPerClass() {
        return swarm.usersPerClass();
    }

    /** The open model's arrival rate now, or null in the closed model. */
    public Double currentRate() {
        return inForce.open() ? swarm.currentRate() : null;
    }
}
