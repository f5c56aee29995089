package io.stampede.loadgen.engine;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.stampede.common.Transport;
import io.stampede.loadgen.scenario.DataFeed;
import io.stampede.loadgen.scenario.Scenario;
import io.stampede.loadgen.scenario.UserClass;
import io.stampede.loadgen.stats.StatsCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a scenario: a worker per event loop, users spread over them round robin and over user
 * classes by weight. Closed model (Locust's): users are started at the spawn rate and loop over
 * their tasks. Open model: users are started and wait; arrivals come on the pacer's schedule and
 * each takes a free user for one task, or is counted as dropped when none is free (never delayed).
 */
public final class Swarm implements Load {
    private static final long SPAWN_TICK_MS = 50;

    private final Scenario scenario;
    private final SwarmSettings settings;
    private final EventLoopGroup group;
    private final List<Worker> workers = new ArrayList<>();
    private final List<VirtualUser> users = new ArrayList<>();
    private final Population population;
    private final ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "swarm-control");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger ready = new AtomicInteger();
    /** Open model: completes when the arrivals begin (or the swarm stops first). */
    private final CompletableFuture<Void> begun = new CompletableFuture<>();
    private volatile boolean stopping;
    private int spawnedEver;
    /**
     * Open model: the schedule in force, read whole by the arrival chains (an edit swaps in a new
     * one; chains of an older one end). Null until the arrivals begin; an edit before that is kept
     * in {@link #pending}.
     */
    private volatile Schedule schedule;
    private Pacer pending;

    /** A pacer and when it started (nanoTime); compared by identity, so each restart is a new one. */
    private record Schedule(Pacer pacer, long start) {}

    public Swarm(Scenario scenario, SwarmSettings settings, StatsCollector collector) {
        this.scenario = scenario;
        this.settings = settings;
        this.group = Transport.newGroup(settings.eventLoops(), "swarm");
        long seed = settings.seed();
        for (io.netty.util.concurrent.EventExecutor e : group) {
            workers.add(new Worker((EventLoop) e, collector.newRecording(), settings, seed++));
        }
        // HTTP/2: connection i lives on worker i mod W; a worker's users share its connections.
        for (int i = 0; i < settings.http2Connections(); i++) {
            Worker w = workers.get(i % workers.size());
            w.addHttp2Connection(new SharedHttp2Connection(w, settings.sourceOf(i)));
        }
        this.population = new Population(scenario.users().stream().mapToInt(UserClass::weight).toArray(), workers.size(),
                settings.users(), settings.spawnRate(), System::nanoTime);
    }

    @Override
    public int users() {
        return running.get();
    }

    /** Users per class now (spawned and not stopped by an edit), in the scenario's order. */
    @Override
    public synchronized Map<String, Integer> usersPerClass() {
        Map<String, Integer> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < scenario.users().size(); i++) {
            out.put(scenario.users().get(i).name(), population.inClass(i));
        }
        return out;
    }

    @Override
    public boolean spawning() {
        if (stopping) {
            return false;
        }
        return running.get() < population.target() || (settings.pacer() != null && !begun.isDone());
    }

    @Override
    public boolean stopping() {
        return stopping;
    }

    /**
     * Starts spawning. In the open model every user is started first (and runs on_start) and the
     * arrivals begin only once they are all free (or after 30 s), as k6 pre-allocates its
     * virtual users. The future completes when the arrivals begin (closed model: at once).
     */
    @Override
    public synchronized CompletableFuture<Void> start() {
        population.startSpawning(users.size());
        if (settings.pacer() == null) {
            control.scheduleAtFixedRate(this::spawnTick, 0, SPAWN_TICK_MS, TimeUnit.MILLISECONDS);
            return CompletableFuture.completedFuture(null);
        }
        while (users.size() < population.target()) {
            spawnOne();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        // Polled off the event loops (the log-ins run on them); the poll holds this lock, so it
        // cannot run before poll[0] is set.
        java.util.concurrent.ScheduledFuture<?>[] poll = new java.util.concurrent.ScheduledFuture<?>[1];
        poll[0] = control.scheduleWithFixedDelay(() -> {
            synchronized (this) {
                if (!stopping && ready.get() < Math.min(population.target(), users.size()) && System.nanoTime() < deadline) {
                    return;
                }
                if (!stopping) {
                    restartArrivals(pending != null ? pending : settings.pacer(), System.nanoTime(), 0);
                }
                poll[0].cancel(false);
                begun.complete(null);
            }
        }, 0, 5, TimeUnit.MILLISECONDS);
        return begun;
    }

    /**
     * Changes the user count (and spawn rate) while running, as Locust's Edit: more users are
     * spawned at the rate; fewer are stopped at once, from the classes most above their weighted
     * share, so the classes keep their ratio. Open model: new users join the free pool; stopped
     * ones leave it.
     */
    @Override
    public synchronized void retarget(int users, double rate) {
        if (stopping) {
            return;
        }
        population.retarget(users, rate, this.users.size());
        boolean open = settings.pacer() != null;
        while (this.users.size() > users) {
            stopUser(surplusUser());
        }
        if (open) {
            // New users join the free pool as soon as their on_start is done.
            while (this.users.size() < users) {
                spawnOne();
            }
            Schedule now = schedule;
            if (now != null) {
                restartArrivals(now.pacer(), now.start(), Arrivals.firstNotDue(now.pacer(), System.nanoTime() - now.start()));
            }
        }
    }

    /**
     * Open model: arrivals on {@code pacer}'s schedule from now on (Edit's rate); the schedule in
     * force, constant or staged, is replaced, and a new staged one starts from its beginning.
     */
    @Override
    public void changeArrivals(String arrivals, Pacer pacer) {
        changeArrivals(pacer);
    }

    /** As above, with only this swarm's schedule. */
    public synchronized void changeArrivals(Pacer pacer) {
        if (stopping || settings.pacer() == null) {
            return;
        }
        if (schedule == null) {
            pending = pacer; // the arrivals have not begun: they begin on this schedule
            return;
        }
        restartArrivals(pacer, System.nanoTime(), 0);
    }

    /** The arrival rate now (open model), or 0. */
    @Override
    public double currentRate() {
        Schedule now = schedule;
        if (now == null) {
            Pacer p = pending != null ? pending : settings.pacer();
            return p == null ? 0 : p.rateAt(0);
        }
        return now.pacer().rateAt(System.nanoTime() - now.start());
    }

    /** The index of the last user of the class furthest above its share. */
    /**
     * Exact users per class, in the scenario's order (a Locust master's spawn message, which gives
     * each worker its absolute counts): users of classes above their count stop at once, and the
     * missing ones are spawned at {@code rate}. Closed model only.
     */
    @Override
    public synchronized void retargetClasses(int[] counts, double rate) {
        if (stopping) {
            return;
        }
        population.reweight(counts);
        int total = 0;
        for (int c = 0; c < counts.length; c++) {
            total += counts[c];
            while (population.inClass(c) > counts[c]) {
                stopUser(lastOfClass(c));
            }
        }
        population.retarget(total, rate, users.size());
        while (users.size() > total) {
            stopUser(surplusUser()); // only when all counts are 0
        }
    }

    private int lastOfClass(int cls) {
        for (int i = users.size() - 1; i >= 0; i--) {
            if (classIndex(users.get(i)) == cls) {
                return i;
            }
        }
        throw new IllegalStateException("no user of class " + cls);
    }

    /** Stops the user at {@code index} (an edit down): it finishes its request, then leaves. */
    private void stopUser(int index) {
        VirtualUser u = this.users.remove(index);
        Worker w = u.worker();
        population.stopped(classIndex(u), workers.indexOf(w));
        w.loop().execute(() -> {
            w.idle.remove(u);
            // Never below 0: stop() may already have zeroed the count when this user finishes.
            u.stop(false, () -> running.updateAndGet(n -> Math.max(0, n - 1)));
        });
    }

    private int surplusUser() {
        int worst = population.surplusClass();
        for (int i = users.size() - 1; i >= 0; i--) {
            if (classIndex(users.get(i)) == worst) {
                return i;
            }
        }
        return users.size() - 1;
    }

    private int classIndex(VirtualUser u) {
        return scenario.users().indexOf(u.userClass());
    }

    private synchronized void spawnTick() {
        if (stopping) {
            return;
        }
        long due = population.due();
        while (users.size() < due) {
            spawnOne();
        }
    }

    private void spawnOne() {
        int index = users.size();
        Worker worker = workers.get(population.nextWorker());
        UserClass cls = scenario.users().get(population.nextClass());
        DataFeed feed = cls.feed() == null ? null : scenario.feeds().get(cls.feed());
        Map<String, String> row = feed == null ? null : feed.nextRow();
        VirtualUser user = new VirtualUser(worker, cls, row, settings.sourceOf(spawnedEver++));
        users.add(user);
        running.incrementAndGet();
        if (settings.pacer() == null) {
            worker.loop().execute(user::startLooping);
        } else {
            worker.loop().execute(() -> user.startIdle(() -> {
                worker.idle.addLast(user);
                ready.incrementAndGet();
            }));
        }
    }

    /**
     * Starts the arrival chains on the workers that have users: arrival numbers {@code next},
     * next + 1, ... of {@code pacer} from {@code from}, spread over them. Chains of an older
     * schedule see it replaced and end.
     */
    private void restartArrivals(Pacer pacer, long from, long next) {
        Schedule s = new Schedule(pacer, from);
        schedule = s;
        List<Worker> withUsers = new ArrayList<>();
        for (int w = 0; w < workers.size(); w++) {
            if (population.onWorker(w) > 0) {
                withUsers.add(workers.get(w));
            }
        }
        int stride = withUsers.size();
        for (int i = 0; i < stride; i++) {
            Worker worker = withUsers.get(i);
            long first = next + i;
            worker.loop().execute(() -> arrivals(worker, first, stride, s));
        }
    }

    private void arrivals(Worker worker, long next, int stride, Schedule s) {
        if (stopping || schedule != s) {
            return;
        }
        long now = System.nanoTime();
        long due;
        while ((due = s.pacer().timeOf(next)) >= 0 && s.start() + due <= now) {
            long intended = s.start() + due;
            VirtualUser user = worker.idle.pollFirst();
            if (user == null) {
                worker.recording().dropped();
            } else {
                user.runArrival(intended, () -> worker.idle.addLast(user));
            }
            next += stride;
        }
        if (due < 0) {
            return;
        }
        long n = next;
        worker.loop().schedule(() -> arrivals(worker, n, stride, s), s.start() + due - now, TimeUnit.NANOSECONDS);
    }

    /** The most any worker's loop ran late since the last call, in milliseconds. */
    @Override
    public double takeMaxLagMs() {
        return workers.stream().mapToLong(w -> w.maxLagNanos.getAndSet(0)).max().orElse(0) / 1e6;
    }

    /**
     * Stops the users: with a stop timeout they finish their current task (up to the timeout),
     * without one they stop after their current request; then on_stop runs.
     */
    public void stop() {
        List<VirtualUser> all;
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
            all = new ArrayList<>(users);
        }
        begun.complete(null);
        control.shutdownNow();
        CountDownLatch done = new CountDownLatch(all.size());
        boolean finishTask = settings.stopTimeout() != null && !settings.stopTimeout().isZero();
        for (int i = 0; i < all.size(); i++) {
            VirtualUser u = all.get(i);
            u.worker().loop().execute(() -> u.stop(finishTask, done::countDown));
        }
        long waitMs = (finishTask ? settings.stopTimeout().toMillis() : 0) + 5_000;
        try {
            done.await(waitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        running.set(0);
    }

    @Override
    public void close() {
        stop();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
