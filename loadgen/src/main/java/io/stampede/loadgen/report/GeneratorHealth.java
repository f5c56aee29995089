package io.stampede.loadgen.report;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.DoubleSupplier;

/**
 * The generator watching itself: event-loop lag (how late scheduled work ran), GC time and CPU.
 * When the generator is the bottleneck, latencies include its own delays; this says so instead
 * of letting the numbers lie.
 */
public final class GeneratorHealth {
    /** Loop lag beyond this may distort latencies by as much. */
    public static final double SATURATED_LAG_MS = 50;
    /** Late intervals in a row that make the generator the limit rather than a passing stall. */
    static final int SUSTAINED = 2;

    private final DoubleSupplier intervalLagMs;
    private final DoubleSupplier cpuLoad;
    private final java.util.function.LongSupplier gcMillis;
    private double maxLag;
    private int lateInARow;
    private volatile boolean saturated;
    /** The last sample's CPU and loop lag, read by the metrics endpoint's thread. */
    private volatile double lastCpu;
    private volatile double lastLag;
    private long lastGcMillis;
    private double peakCpu;
    private double cpuSum;
    private int samples;
    private long gcTotal;

    /** @param intervalLagMs the worst loop lag since the last call (it resets) */
    public GeneratorHealth(DoubleSupplier intervalLagMs) {
        this(intervalLagMs, GeneratorHealth::processCpu, GeneratorHealth::processGcMillis);
    }

    /**
     * @param cpuLoad the generator's CPU use now (1 = every core): this process's, or the sum of
     *        worker processes'
     * @param gcMillis the generator's garbage-collection time so far
     */
    public GeneratorHealth(DoubleSupplier intervalLagMs, DoubleSupplier cpuLoad, java.util.function.LongSupplier gcMillis) {
        this.intervalLagMs = intervalLagMs;
        this.cpuLoad = cpuLoad;
        this.gcMillis = gcMillis;
        this.lastGcMillis = gcMillis.getAsLong();
    }

    private static double processCpu() {
        return Math.max(0, ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuLoad());
    }

    private static long processGcMillis() {
        long total = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, b.getCollectionTime());
        }
        return total;
    }

    /** Samples once per interval; returns a warning line, or null when all is well. */
    public String sample() {
        double cpu = Math.min(1, Math.max(0, cpuLoad.getAsDouble()));
        peakCpu = Math.max(peakCpu, cpu);
        cpuSum += cpu;
        samples++;
        long gc = gcMillis();
        long gcDelta = gc - lastGcMillis;
        lastGcMillis = gc;
        gcTotal += gcDelta;
        double lag = intervalLagMs.getAsDouble();
        lastCpu = cpu;
        lastLag = lag;
        maxLag = Math.max(maxLag, lag);
        lateInARow = lag >= SATURATED_LAG_MS ? lateInARow + 1 : 0;
        // One late second is a stall (a GC, the JIT, another process on a shared machine); the
        // generator is the limit only when it cannot catch up, second after second.
        if (lateInARow >= SUSTAINED) {
            saturated = true;
            return String.format(java.util.Locale.ROOT,
                    "WARNING: the generator is saturated: its event loops ran up to %.0f ms late (CPU %.0f%%, GC %d ms): "
                            + "latencies may include its own delay", lag, cpu * 100, gcDelta);
        }
        return null;
    }

    public double cpu() {
        return samples == 0 ? 0 : cpuSum / samples;
    }

    /** The process's CPU use in the last interval (1 = every core). */
    public double lastCpu() {
        return lastCpu;
    }

    /** How late the event loops ran in the last interval, ms. */
    public double lastLagMs() {
        return lastLag;
    }

    public double peakCpu() {
        return peakCpu;
    }

    public double maxLagMs() {
        return maxLag;
    }

    public long gcMillis() {
        return gcMillis.getAsLong();
    }

    public long gcTotalMillis() {
        return gcTotal;
    }

    /** Whether the loops were late {@link #SUSTAINED} intervals in a row at some point (the warning fired). */
    public boolean saturated() {
        return saturated;
    }

    /** Forgets what was seen so far (with the statistics' reset: start-up is not the load). */
    public void reset() {
        intervalLagMs.getAsDouble();
        maxLag = 0;
        lastLag = 0;
        lateInARow = 0;
        saturated = false;
        peakCpu = 0;
        cpuSum = 0;
        samples = 0;
        gcTotal = 0;
        lastGcMillis = gcMillis();
    }
}
