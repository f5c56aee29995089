package io.stampede.loadgen.engine;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What a run drives: the users of this process ({@link Swarm}), or those of several worker
 * processes that report to this one ({@code --processes}). A run starts it, edits it, asks how it
 * is doing and closes it; the statistics reach the run's collector either way.
 */
public interface Load extends AutoCloseable {
    /** Builds the load of one run; its statistics go to {@code collector}. */
    @FunctionalInterface
    interface Factory {
        /**
         * @param request the run's request, whole (as the command line or the web form gave it);
         *        {@code settings} holds this process's share of it
         */
        Load create(io.stampede.loadgen.scenario.Scenario scenario, SwarmSettings settings, Request request,
                    io.stampede.loadgen.stats.StatsCollector collector);
    }

    /** What a run asks for, as given: users, spawn rate, host and (open model) arrivals as written, or null. */
    record Request(int users, double spawnRate, String host, String arrivals) {}

    /** This process's users. */
    Factory LOCAL = (scenario, settings, request, collector) -> new Swarm(scenario, settings, collector);

    /** Starts spawning; completes when the open model's arrivals begin (closed model: at once, or when all spawning started). */
    CompletableFuture<Void> start();

    boolean spawning();

    boolean stopping();

    int users();

    /** Users per class now, in the scenario's order. */
    Map<String, Integer> usersPerClass();

    /** The open model's arrival rate now, or 0. */
    double currentRate();

    /** A new user count and spawn rate (Locust's Edit). */
    void retarget(int users, double rate);

    /**
     * New arrivals (open model): {@code arrivals} as written, which processes of a fleet segment
     * themselves, and {@code pacer}, this process's share of it.
     */
    void changeArrivals(String arrivals, Pacer pacer);

    /** Exact users per class (a Locust master's spawn), closed model. */
    void retargetClasses(int[] counts, double rate);

    /** The most the generator's loops ran late since the last call, ms. */
    double takeMaxLagMs();

    /** The generator's CPU use in the last moments (1 = every core of the machine). */
    default double cpuLoad() {
        return Math.max(0, ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuLoad());
    }

    /** The generator's garbage-collection time so far, ms. */
    default long gcMillis() {
        long total = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, b.getCollectionTime());
        }
        return total;
    }

    /** Stops the users; their last responses are in the statistics when it returns. */
    @Override
    void close();
}
