package io.stampede.loadgen.fleet;

import io.stampede.loadgen.engine.Load;
import io.stampede.loadgen.engine.Pacer;
import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.stats.Recording;
import io.stampede.loadgen.stats.StatsCollector;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One run over a {@link Fleet}'s worker processes: each runs its segment, and what each sends
 * goes into a recording of this run's collector, histograms bucket for bucket, so the run's
 * statistics (console, web UI, CSV, JSON, HdrHistogram log, thresholds) are those of all workers'
 * requests exactly, as if one process had made them.
 */
public final class FleetLoad implements Load {
    /** What the parent knows of one worker in this run: its last tick and whether it is done. */
    private static final class Worker {
        final Recording recording;
        volatile Wire.Tick last;
        volatile boolean started;
        /** Set once, by whoever learns first that no more is coming (its last tick, a failure, its exit). */
        final AtomicBoolean done = new AtomicBoolean();
        /** The worker's GC time at its first tick of this run: what came before is not this run's. */
        volatile long gcAtFirstTick = -1;
        double lagSinceTaken; // guarded by the worker

        Worker(Recording recording) {
            this.recording = recording;
        }
    }

    private final Fleet fleet;
    private final StatsCollector collector;
    private final Worker[] workers;
    private final int id;
    private final Duration stopTimeout;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final CountDownLatch done;
    private final Load.Request request;
    private volatile int users;
    private volatile double spawnRate;
    private volatile String arrivals;
    private volatile boolean runSent;
    private volatile boolean stopping;

    /** A load factory for runs over {@code fleet}. */
    public static Load.Factory over(Fleet fleet) {
        return (scenario, settings, request, collector) -> new FleetLoad(fleet, settings, request, collector);
    }

    FleetLoad(Fleet fleet, SwarmSettings settings, Load.Request request, StatsCollector collector) {
        checkUsers(request.users(), fleet.size());
        for (Fleet.Member m : fleet.members()) {
            if (m.gone) {
                throw new IllegalStateException(m.name() + " is gone, so a run would lack its share: restart stampede swarm");
            }
        }
        this.fleet = fleet;
        this.collector = collector;
        this.request = request;
        this.stopTimeout = settings.stopTimeout() == null ? Duration.ZERO : settings.stopTimeout();
        this.workers = new Worker[fleet.size()];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(collector.newRecording());
        }
        this.done = new CountDownLatch(workers.length);
        this.users = request.users();
        this.spawnRate = request.spawnRate();
        this.arrivals = request.arrivals();
        this.id = fleet.attach(this);
    }

    private static void checkUsers(int users, int processes) {
        if (users < processes) {
            throw new IllegalArgumentException("user_count: " + users + " users for " + processes
                    + " worker processes (each runs at least one user; use fewer --processes)");
        }
    }

    @Override
    public CompletableFuture<Void> start() {
        runSent = true;
        for (Fleet.Member m : fleet.members()) {
            m.send(new Wire.Run(id, request.users(), request.spawnRate(), request.host(), request.arrivals()));
            if (m.gone) {
                lost(m.index); // it went between the check and now: its reader may have told an older run
            }
        }
        return started;
    }

    /** A message from worker {@code index} (its reader thread: one at a time per worker). */
    void heard(int index, Wire.Message m) {
        Worker w = workers[index];
        if (m instanceof Wire.Tick t && t.run() == id) {
            collector.absorbing(() -> absorb(w.recording, t));
            synchronized (w) {
                w.lagSinceTaken = Math.max(w.lagSinceTaken, t.lagMs());
            }
            if (w.gcAtFirstTick < 0) {
                w.gcAtFirstTick = t.gcMillis();
            }
            w.last = t;
            if (t.last()) {
                finished(w);
            }
        } else if (m instanceof Wire.Started s && s.run() == id) {
            w.started = true;
            checkStarted();
        } else if (m instanceof Wire.Failed f && f.run() == id) {
            fleet.trouble("worker " + index + ": " + f.message());
            if (!w.started) {
                // It never ran: nothing more will come, and the others must not wait for it.
                w.started = true;
                finished(w);
                checkStarted();
            }
        }
    }

    /** Worker {@code index} went away: its users are gone; the run goes on with the others. */
    void lost(int index) {
        Worker w = workers[index];
        w.started = true;
        finished(w);
        checkStarted();
    }

    private void finished(Worker w) {
        if (w.done.compareAndSet(false, true)) {
            done.countDown();
        }
    }

    private void checkStarted() {
        for (Worker w : workers) {
            if (!w.started) {
                return;
            }
        }
        started.complete(null);
    }

    private static void absorb(Recording r, Wire.Tick t) {
        absorb(r, t.endpoints(), t.errors(), t.exceptions(), t.dropped(), t.handshakes(), t.resumed());
    }

    /** One worker's interval into its recording here: everything a tick carries about requests. */
    static void absorb(Recording r, java.util.List<Wire.EndpointDelta> endpoints, Map<io.stampede.loadgen.stats.ErrorKey, Long> errors,
                       Map<String, Long> exceptions, long dropped, org.HdrHistogram.Histogram handshakes, long resumed) {
        for (Wire.EndpointDelta d : endpoints) {
            r.absorb(d.endpoint(), d.latency(), d.service(), d.failures(), d.bytes());
        }
        errors.forEach(r::absorbErrors);
        exceptions.forEach(r::absorbExceptions);
        r.absorbDropped(dropped);
        r.absorbHandshakes(handshakes, resumed);
    }

    @Override
    public boolean spawning() {
        if (stopping) {
            return false;
        }
        if (!started.isDone()) {
            return true;
        }
        for (Worker w : workers) {
            Wire.Tick t = w.last;
            if (!w.done.get() && (t == null || t.spawning())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean stopping() {
        return stopping;
    }

    @Override
    public int users() {
        return (int) sumOfLive(Wire.Tick::users);
    }

    /** A figure summed over the workers still in the run, from each one's last tick. */
    private double sumOfLive(java.util.function.ToDoubleFunction<Wire.Tick> figure) {
        double sum = 0;
        for (Worker w : workers) {
            Wire.Tick t = w.last;
            sum += t == null || w.done.get() ? 0 : figure.applyAsDouble(t);
        }
        return sum;
    }

    @Override
    public Map<String, Integer> usersPerClass() {
        Map<String, Integer> sum = new LinkedHashMap<>();
        for (Worker w : workers) {
            Wire.Tick t = w.last;
            if (t != null && !w.done.get()) {
                t.classes().forEach((k, v) -> sum.merge(k, v, Integer::sum));
            }
        }
        return sum;
    }

    @Override
    public double currentRate() {
        return sumOfLive(Wire.Tick::rate);
    }

    @Override
    public void retarget(int users, double rate) {
        checkUsers(users, workers.length);
        Wire.Edit edit;
        synchronized (this) {
            this.users = users;
            this.spawnRate = rate;
            edit = new Wire.Edit(id, users, rate, arrivals);
        }
        send(edit);
    }

    @Override
    public void changeArrivals(String arrivals, Pacer pacer) {
        Wire.Edit edit;
        synchronized (this) {
            this.arrivals = arrivals;
            edit = new Wire.Edit(id, users, spawnRate, arrivals);
        }
        send(edit);
    }

    /** Sends to every worker, holding no lock of this run's (a slow worker must not stall its readers). */
    private void send(Wire.Message m) {
        if (stopping) {
            return;
        }
        for (Fleet.Member member : fleet.members()) {
            member.send(m);
        }
    }

    @Override
    public void retargetClasses(int[] counts, double rate) {
        throw new UnsupportedOperationException("a Locust master's users per class go to one process, not to --processes");
    }

    @Override
    public double takeMaxLagMs() {
        double max = 0;
        for (Worker w : workers) {
            synchronized (w) {
                max = Math.max(max, w.lagSinceTaken);
                w.lagSinceTaken = 0;
            }
        }
        return max;
    }

    /** The workers' CPU (each a share of the machine) and this process's, which adds their statistics. */
    @Override
    public double cpuLoad() {
        return Load.super.cpuLoad() + sumOfLive(Wire.Tick::cpu);
    }

    /** The workers' GC time in this run (each from its first tick) and this process's. */
    @Override
    public long gcMillis() {
        long sum = Load.super.gcMillis();
        for (Worker w : workers) {
            Wire.Tick t = w.last;
            long first = w.gcAtFirstTick;
            sum += t == null || first < 0 ? 0 : Math.max(0, t.gcMillis() - first);
        }
        return sum;
    }

    /**
     * Stops every worker's run and waits for their last ticks (the stop timeout and 15 s more), so
     * the run's final statistics hold every response.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
        }
        started.complete(null);
        if (!runSent) {
            fleet.detach(this); // the run never reached the workers (its outputs could not start)
            return;
        }
        for (Fleet.Member m : fleet.members()) {
            m.send(new Wire.Stop(id));
        }
        try {
            if (!done.await(stopTimeout.toMillis() + 15_000, TimeUnit.MILLISECONDS)) {
                for (int i = 0; i < workers.length; i++) {
                    if (!workers[i].done.get()) {
                        fleet.trouble("worker " + i + " did not send its last statistics within "
                                + (stopTimeout.toSeconds() + 15) + " s of the stop");
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        fleet.detach(this);
    }
}
