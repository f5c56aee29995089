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

    public void removeListener(Listener l) {
        listeners.remove(l);
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

    /** The form's values: the last run's, or the command line's before any. */
    public RunRequest current() {
        return current;
    }

    /**
     * Locust's {@code POST /swarm}: starts a new run (fresh statistics), or, while one runs,
     * changes its user count, spawn rate and (open model) arrival rate, as Locust's Edit does.
     */
    public CompletableFuture<RunRequest> swarm(RunRequest r) {
        return CompletableFuture.supplyAsync(() -> {
            LiveRun live = run;
            if (live != null && (state == State.SPAWNING || state == State.RUNNING)) {
                if ((r.rate() == null) != (live.request.rate() == null)) {
                    throw new IllegalArgumentException("rate: a running test cannot switch between the closed and the"
                            + " open model; stop it and start a new one");
                }
                if (!r.host().equals(live.request.host())) {
                    throw new IllegalArgumentException("host: a running test cannot change its host; stop it first");
                }
                live.swarm.retarget(r.users(), r.spawnRate());
                if (r.rate() != null && !r.rate().equals(live.request.rate())) {
                    live.swarm.changeRate(r.rate());
                }
                current = r;
                state = State.SPAWNING;
                notifyListeners(false);
                return r;
            }
            SwarmSettings settings = settingsFor.apply(r);
            LiveRun fresh = new LiveRun(scenario, settings, r);
            run = fresh;
            current = r;
            state = State.SPAWNING;
            outputs.started(fresh);
            fresh.swarm.start().thenRun(() -> {
                if (settings.pacer() != null) {
                    fresh.collector.startClock(); // the open model's users logged in before this
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
        outputs.stopped(live);
        notifyListeners(false);
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
            outputs.tick(live, warning);
            if (live.runTimeOver()) {
                stopNow();
            } else {
                notifyListeners(false);
            }
        } catch (RuntimeException e) {
            // A failing output must not end the ticks (a scheduled task that throws is never run again).
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
        return live == null || live.request.rate() == null ? null : live.swarm.currentRate();
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
