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
public final class Swarm implements AutoCloseable {
    private static final long SPAWN_TICK_MS = 50;

    private final Scenario scenario;
    private final SwarmSettings settings;
    private final EventLoopGroup group;
    private final List<Worker> workers = new ArrayList<>();
    private final List<VirtualUser> users = new ArrayList<>();
    private final int[] perClass;
    private final ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "swarm-control");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger ready = new AtomicInteger();
    private volatile int target;
    private volatile double spawnRate;
    private volatile boolean stopping;
    private long spawnStartNanos;
    private int spawnedAtStart;
    private long startNanos;

    public Swarm(Scenario scenario, SwarmSettings settings, StatsCollector collector) {
        this.scenario = scenario;
        this.settings = settings;
        this.group = Transport.newGroup(settings.threads(), "swarm");
        long seed = settings.seed();
        for (io.netty.util.concurrent.EventExecutor e : group) {
            workers.add(new Worker((EventLoop) e, collector.newRecording(), settings, seed++));
        }
        this.perClass = new int[scenario.users().size()];
        this.target = settings.users();
        this.spawnRate = settings.spawnRate();
    }

    public int users() {
        return running.get();
    }

    public boolean spawning() {
        return running.get() < target && !stopping;
    }

    /**
     * Starts spawning. In the open model every user is started first (and runs on_start) and the
     * arrivals begin only once they are all free, as k6 pre-allocates its virtual users; this
     * waits for that, up to {@code readyTimeout}.
     */
    public void start() {
        synchronized (this) {
            startNanos = System.nanoTime();
            spawnStartNanos = startNanos;
            if (settings.pacer() != null) {
                while (users.size() < target) {
                    spawnOne();
                }
            } else {
                control.scheduleAtFixedRate(this::spawnTick, 0, SPAWN_TICK_MS, TimeUnit.MILLISECONDS);
                return;
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (ready.get() < target && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        synchronized (this) {
            startNanos = System.nanoTime();
            // Users go to workers round robin, so only the first min(users, workers) workers have
            // any; the arrivals are split among those alone.
            int withUsers = Math.min(target, workers.size());
            for (int w = 0; w < withUsers; w++) {
                Worker worker = workers.get(w);
                int first = w;
                worker.loop().execute(() -> arrivals(worker, first, withUsers));
            }
        }
    }

    /** Changes the user target (and spawn rate) while running, as Locust's Edit. */
    public synchronized void retarget(int users, double rate) {
        target = users;
        spawnRate = rate;
        spawnStartNanos = System.nanoTime();
        spawnedAtStart = this.users.size();
        while (this.users.size() > users) {
            VirtualUser u = this.users.remove(this.users.size() - 1);
            Worker w = workerOf(this.users.size());
            w.loop().execute(() -> u.stop(false, running::decrementAndGet));
        }
    }

    private synchronized void spawnTick() {
        if (stopping) {
            return;
        }
        double elapsed = (System.nanoTime() - spawnStartNanos) / 1e9;
        long due = Math.min(target, spawnedAtStart + (long) Math.floor(elapsed * spawnRate) + 1);
        while (users.size() < due) {
            spawnOne();
        }
    }

    private void spawnOne() {
        int index = users.size();
        Worker worker = workerOf(index);
        UserClass cls = nextClass();
        DataFeed feed = cls.feed() == null ? null : scenario.feeds().get(cls.feed());
        Map<String, String> row = feed == null ? null : feed.nextRow();
        VirtualUser user = new VirtualUser(worker, cls, row, settings.sourceOf(index));
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

    private Worker workerOf(int userIndex) {
        return workers.get(userIndex % workers.size());
    }

    /** The class furthest below its weighted share, so classes fill in proportion (Locust's rule). */
    private UserClass nextClass() {
        List<UserClass> classes = scenario.users();
        int totalWeight = classes.stream().mapToInt(UserClass::weight).sum();
        int best = 0;
        double bestDeficit = Double.NEGATIVE_INFINITY;
        int total = 0;
        for (int c : perClass) {
            total += c;
        }
        for (int i = 0; i < classes.size(); i++) {
            double share = (double) classes.get(i).weight() / totalWeight;
            double deficit = share * (total + 1) - perClass[i];
            if (deficit > bestDeficit) {
                bestDeficit = deficit;
                best = i;
            }
        }
        perClass[best]++;
        return classes.get(best);
    }

    /** This worker's arrivals: numbers first, first + stride, ... of the pacer's schedule. */
    private void arrivals(Worker worker, long next, int stride) {
        if (stopping) {
            return;
        }
        long now = System.nanoTime();
        long due;
        while ((due = settings.pacer().timeOf(next)) >= 0 && startNanos + due <= now) {
            long intended = startNanos + due;
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
        worker.loop().schedule(() -> arrivals(worker, n, stride), startNanos + due - now, TimeUnit.NANOSECONDS);
    }

    /** The most any worker's loop ran late since the last call, in milliseconds. */
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
        control.shutdownNow();
        CountDownLatch done = new CountDownLatch(all.size());
        boolean finishTask = settings.stopTimeout() != null && !settings.stopTimeout().isZero();
        for (int i = 0; i < all.size(); i++) {
            VirtualUser u = all.get(i);
            workerOf(i).loop().execute(() -> u.stop(finishTask, done::countDown));
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
