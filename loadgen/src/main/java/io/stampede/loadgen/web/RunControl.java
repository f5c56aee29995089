package io.stampede.loadgen.web;

import io.stampede.loadgen.engine.Pacer;
import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.scenario.Scenario;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The web UI's runs, one at a time: start (or edit, when one is running), stop, reset, and a
 * statistics tick every second that feeds the listeners (the page's event stream) and the
 * outputs (CSV, HTML, JSON). Everything that changes a run happens on one thread, so a tick never
 * sees a half-started or half-stopped run; callers get futures, never block.
 */
public final class RunControl implements AutoCloseable {
    /** Locust's states, as {@code /stats/requests} reports them. */
    public enum State { READY, SPAWNING, RUNNING, STOPPED;
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What happens to a run's data besides the page: files, the console. Called on the control thread. */
    public interface Outputs {
        void started(LiveRun run);

        void tick(LiveRun run, String generatorWarning);

        void stopped(LiveRun run);
    }

    /** Told after every change: a tick, a start, an edit, a reset, a stop. Called on the control thread. */
    public interface Listener {
        void changed(RunControl control, boolean newRun);
    }

    private final Scenario scenario;
    private final Function<RunRequest, SwarmSettings> settingsFor;
    private final RunRequest defaults;
    private final Outputs outputs;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "swarm-web-control");
        t.setDaemon(true);
        return t;
    });
    private volatile LiveRun run;
    private volatile State state = State.READY;
    private volatile RunRequest current;

    public RunControl(Scenario scenario, RunRequest defaults, Function<RunRequest, SwarmSettings> settingsFor, Outputs outputs) {
        this.scenario = scenario;
        this.defaults = defaults;
        this.settingsFor = settingsFor;
        this.outputs = outputs;
        this.current = defaults;
        thread.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public Scenario scenario() {
        return scenario;
    }

    public State state() {
        return state;
    }

    /** The run on screen (running or the last one stopped), or null before the first. */
    public LiveRun run() {
        return run;
    }

    /** The command line's values: what a new test takes for a field a script leaves out. */
    public RunRequest defaults() {
        return defaults;
    }

    /** Whether a test is spawning or running (a POST /swarm is then an edit). */
    public boolean live() {
        return run != null && (state == State.SPAWNING || state == State.RUNNING);
    }

    /** The form's values: the last run's, or the command line's before any. */
    public RunRequest current() {
        return current;
    }

    /**
     * Locust's {@code POST /swarm}: starts a new run (fresh statistics), or, while one runs,
     * changes its user count, spawn rate and (open model) arrival rate, as Locust's Edit does.
     * With {@code edit}, only the latter: an edit that arrives after the run stopped must not
     * start a new one (IllegalStateException).
     */
    public CompletableFuture<RunRequest> swarm(RunRequest r, boolean edit) {
        return CompletableFuture.supplyAsync(() -> {
            LiveRun live = run;
            if (live != null && (state == State.SPAWNING || state == State.RUNNING)) {
                RunRequest was = live.inForce();
                if ((r.rate() == null) != (was.rate() == null)) {
                    throw new IllegalArgumentException("rate: a running test cannot switch between the closed and the"
                            + " open model; stop it and start a new one");
                }
                if (!r.host().equals(was.host())) {
                    throw new IllegalArgumentException("host: a running test cannot change its host; stop it first");
                }
                live.swarm.retarget(r.users(), r.spawnRate());
                if (r.rate() != null && !r.rate().equals(was.rate())) {
                    live.swarm.changeRate(r.rate());
                }
                // An edit changes users and rates; the run time stays as it started.
                RunRequest now = new RunRequest(r.users(), r.spawnRate(), was.host(), was.runTime(), r.rate());
                live.edited(now);
                current = now;
                state = State.SPAWNING;
                notifyListeners(false);
                return now;
            }
            if (edit) {
                throw new IllegalStateException("no test is running to edit (it stopped): start a new one");
            }
            SwarmSettings settings = settingsFor.apply(r);
            LiveRun fresh = new LiveRun(scenario, settings, r);
            try {
                outputs.started(fresh);
            } catch (RuntimeException e) {
                fresh.swarm.close();
                throw e;
            }
            run = fresh;
            current = r;
            state = State.SPAWNING;
            fresh.swarm.start().thenRun(() -> {
                if (settings.pacer() != null && !fresh.swarm.stopping()) {
                    fresh.arrivalsBegan(); // the open model's users logged in before this
                }
            });
            notifyListeners(true);
            return r;
        }, thread);
    }

    /** Locust's {@code GET /stop}: stops the users and keeps the statistics on screen. */
    public CompletableFuture<Void> stop() {
        return CompletableFuture.runAsync(this::stopNow, thread);
    }

    /** Locust's {@code GET /stats/reset}: the statistics start again from zero; the charts keep their past. */
    public CompletableFuture<Void> reset() {
        return CompletableFuture.runAsync(() -> {
            LiveRun live = run;
            if (live != null && state != State.STOPPED) {
                live.reset();
                notifyListeners(false);
            }
        }, thread);
    }

    private void stopNow() {
        LiveRun live = run;
        if (live == null || state == State.STOPPED || state == State.READY) {
            return;
        }
        live.stop();
        state = State.STOPPED;
        try {
            outputs.stopped(live);
        } catch (RuntimeException e) {
            System.err.println("stampede swarm: writing the test's results failed: " + e.getMessage());
        } finally {
            notifyListeners(false);
        }
    }

    private void tick() {
        try {
            LiveRun live = run;
            if (live == null || state == State.STOPPED) {
                return;
            }
            String warning = live.sample();
            if (state == State.SPAWNING && !live.swarm.spawning()) {
                state = State.RUNNING;
            }
            try {
                outputs.tick(live, warning);
            } catch (RuntimeException e) {
                System.err.println("stampede swarm: writing the test's results failed: " + e.getMessage());
            }
            notifyListeners(false);
            if (live.runTimeOver()) {
                stopNow();
            }
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: the ticks must go on.
            System.err.println("stampede swarm: " + e);
        }
    }

    private void notifyListeners(boolean newRun) {
        for (Listener l : listeners) {
            l.changed(this, newRun);
        }
    }

    /** The open model's arrival rate now, or null in the closed model. */
    public Double currentRate() {
        LiveRun live = run;
        return live == null || live.inForce().rate() == null ? null : live.swarm.currentRate();
    }

    /** Stops the run on screen, if any, and waits for it (Ctrl-C). */
    @Override
    public void close() {
        stop().join();
        thread.shutdownNow();
    }

    /** The pacer a request asks for: its constant rate, or null for the closed model. */
    public static Pacer pacerOf(RunRequest r) {
        return r.rate() == null ? null : Pacer.constant(r.rate());
    }
}
