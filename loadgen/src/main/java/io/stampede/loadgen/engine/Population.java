package io.stampede.loadgen.engine;

import java.util.function.LongSupplier;

/**
 * Who the swarm starts next and whom it stops, with no threads of its own (the swarm calls it
 * under its lock) and an injected clock, so the rules are tested on a clock a test moves:
 * <ul>
 * <li>classes fill in proportion to their weights, the next user going to the class furthest
 *     below its share (Locust's rule), and an edit down stops users of the class furthest above it;
 * <li>users spread evenly over the workers (the first of the least loaded, so round robin at first);
 * <li>the spawn rate is a schedule: {@code n} seconds after a start or an edit, {@code floor(n x
 *     rate) + 1} users more than there were then should be running, never more than the target.
 * </ul>
 */
final class Population {
    private int[] weights;
    private int totalWeight;
    private final int[] perClass;
    private final int[] perWorker;
    private final LongSupplier nanoClock;
    private volatile int target;
    private volatile double rate;
    private long spawnStartNanos;
    private int spawnedAtStart;

    Population(int[] classWeights, int workers, int target, double rate, LongSupplier nanoClock) {
        this.weights = classWeights.clone();
        int sum = 0;
        for (int w : classWeights) {
            sum += w;
        }
        this.totalWeight = sum;
        this.perClass = new int[classWeights.length];
        this.perWorker = new int[workers];
        this.target = target;
        this.rate = rate;
        this.nanoClock = nanoClock;
    }

    int target() {
        return target;
    }

    /** Spawning starts (or restarts) now, from {@code running} users. */
    void startSpawning(int running) {
        spawnStartNanos = nanoClock.getAsLong();
        spawnedAtStart = running;
    }

    /** An edit: a new target and rate, counted from now. */
    void retarget(int newTarget, double newRate, int running) {
        target = newTarget;
        rate = newRate;
        startSpawning(running);
    }

    /**
     * Exact counts per class in place of the weights (a Locust master's spawn message): with the
     * counts as weights and their sum as the target, the fill rule ends on the counts exactly.
     * All zero keeps the weights (nothing is to run then).
     */
    void reweight(int[] counts) {
        int sum = 0;
        for (int c : counts) {
            sum += c;
        }
        if (sum > 0) {
            weights = counts.clone();
            totalWeight = sum;
        }
    }

    /** How many users should be running now, by the spawn schedule. */
    long due() {
        double elapsed = (nanoClock.getAsLong() - spawnStartNanos) / 1e9;
        return Math.min(target, spawnedAtStart + (long) Math.floor(elapsed * rate) + 1);
    }

    /** The class of the next user (counted as started). */
    int nextClass() {
        int best = 0;
        double bestDeficit = Double.NEGATIVE_INFINITY;
        int total = 0;
        for (int c : perClass) {
            total += c;
        }
        for (int i = 0; i < weights.length; i++) {
            double deficit = (double) weights[i] / totalWeight * (total + 1) - perClass[i];
            if (deficit > bestDeficit) {
                bestDeficit = deficit;
                best = i;
            }
        }
        perClass[best]++;
        return best;
    }

    /** The class to take a user from when there are fewer to be: the one furthest above its share. */
    int surplusClass() {
        int total = 0;
        for (int c : perClass) {
            total += c;
        }
        int worst = 0;
        double most = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < weights.length; i++) {
            double surplus = perClass[i] - (double) weights[i] / totalWeight * (total - 1);
            if (perClass[i] > 0 && surplus > most) {
                most = surplus;
                worst = i;
            }
        }
        return worst;
    }

    /** The worker for the next user (counted as placed). */
    int nextWorker() {
        int best = 0;
        for (int w = 1; w < perWorker.length; w++) {
            if (perWorker[w] < perWorker[best]) {
                best = w;
            }
        }
        perWorker[best]++;
        return best;
    }

    /** A user of {@code cls} on {@code worker} was stopped by an edit. */
    void stopped(int cls, int worker) {
        perClass[cls]--;
        perWorker[worker]--;
    }

    int inClass(int cls) {
        return perClass[cls];
    }

    int onWorker(int worker) {
        return perWorker[worker];
    }
}
