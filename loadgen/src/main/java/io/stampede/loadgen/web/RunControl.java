package io.stampede.loadgen.web;

import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.run.RunListener;
import io.stampede.loadgen.run.RunRequest;
import io.stampede.loadgen.run.RunSession;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The web UI's runs, one at a time: start (or edit, when one is running), stop, reset. Each run
 * is a {@link RunSession} with the command line's outputs as listeners, polled by one thread, so
 * a tick never sees a half-started or half-stopped run; callers get futures, never block.
 */
public final class RunControl implements AutoCloseable {
    /** Locust's states, as {@code /stats/requests} reports them. */
    public enum State { READY, SPAWNING, RUNNING, STOPPED;
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Told after every change: a tick, a start, an edit, a reset, a stop. Called on the control thread. */
    public interface Listener {
        void changed(RunControl control, boolean newRun);
    }

    /** How often the session is polled: its warm-up reset lands this close to its time. */
    private static final long POLL_MILLIS = 50;

    private final RunSession.Spec spec;
    private final Function<RunRequest, SwarmSettings> settingsFor;
    private final RunRequest defaults;
    private final Supplier<List<RunListener>> outputs;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "swarm-web-control");
        t.setDaemon(true);
        return t;
    });
    private volatile RunSession run;
    private volatile State state = State.READY;
    private volatile RunRequest current;

    /** @param outputs a run's outputs, built afresh for each run */
    public RunControl(RunSession.Spec spec, RunRequest defaults, Function<RunRequest, SwarmSettings> settingsFor,
                      Supplier<List<RunListener>> outputs) {
        this.spec = spec;
        this.defaults = defaults;
        this.settingsFor = settingsFor;
        this.outputs = outputs;
        this.current = defaults;
        thread.scheduleWithFixedDelay(this::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public RunSession.Spec spec() {
        return spec;
    }

    public State state() {
        return state;
    }

    /** The run on screen (running or the last one stopped), or null before the first. */
    public RunSession run() {
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
     * changes its user count, spawn rate and (open model) arrivals, as Locust's Edit does.
     * With {@code edit}, only the latter: an edit that arrives after the run stopped must not
     * start a new one (IllegalStateException).
     */
    public CompletableFuture<RunRequest> swarm(RunRequest r, boolean edit) {
        return CompletableFuture.supplyAsync(() -> {
            RunSession live = run;
            if (live != null && (state == State.SPAWNING || state == State.RUNNING)) {
                RunRequest now = live.edit(r);
                current = now;
                state = State.SPAWNING;
                notifyListeners(false);
                return now;
            }
            if (edit) {
                throw new IllegalStateException("no test is running to edit (it stopped): start a new one");
            }
            List<RunListener> all = new ArrayList<>(outputs.get());
            all.add(pageEvents());
            RunSession fresh = new RunSession(spec, r, settingsFor.apply(r), all, System::nanoTime);
            fresh.start();
            run = fresh;
            current = r;
            state = State.SPAWNING;
            notifyListeners(true);
            return r;
        }, thread);
    }

    /** The page's event stream hears a run as the outputs do: every tick and reset moves the page. */
    private RunListener pageEvents() {
        return new RunListener() {
            @Override
            public void tick(RunSession session, StatsSnapshot snapshot, String warning) {
                if (state == State.SPAWNING && !session.spawning()) {
                    state = State.RUNNING;
                }
                notifyListeners(false);
            }

            @Override
            public void reset(RunSession session, boolean measuring) {
                notifyListeners(false);
            }
        };
    }

    /** Locust's {@code GET /stop}: stops the users and keeps the statistics on screen. */
    public CompletableFuture<Void> stop() {
        return CompletableFuture.runAsync(this::stopNow, thread);
    }

    /** Locust's {@code GET /stats/reset}: the statistics start again from zero; the charts keep their past. */
    public CompletableFuture<Void> reset() {
        return CompletableFuture.runAsync(() -> {
            RunSession live = run;
            if (live != null && state != State.STOPPED) {
                live.reset();
            }
        }, thread);
    }

    private void stopNow() {
        RunSession live = run;
        if (live == null || state == State.STOPPED || state == State.READY) {
            return;
        }
        state = State.STOPPED;
        try {
            live.stop();
        } catch (RuntimeException e) {
            System.err.println("stampede swarm: writing the test's results failed: " + e.getMessage());
        } finally {
            notifyListeners(false);
        }
    }

    private void poll() {
        try {
            RunSession live = run;
            if (live == null || state == State.STOPPED) {
                return;
            }
            boolean over;
            try {
                over = live.poll();
            } catch (RuntimeException e) {
                System.err.println("stampede swarm: writing the test's results failed: " + e.getMessage());
                over = false;
            }
            if (over) {
                stopNow();
            }
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: the polls must go on.
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
        RunSession live = run;
        return live == null ? null : live.currentRate();
    }

    /** Stops the run on screen, if any, and waits for it (Ctrl-C). */
    @Override
    public void close() {
        stop().join();
        thread.shutdownNow();
    }
}
