package io.stampede.api.capacity;

import java.util.ArrayDeque;

/**
 * A gunicorn-like pool of request workers: at most {@code workers} requests are handled at once,
 * at most {@code maxQueue} more wait for a worker in arrival order, and the rest are refused.
 *
 * <p>Workers are counters, not threads: a job that holds a worker may wait on a timer (the
 * simulated database) without occupying any thread. A job must call {@link #release()} exactly
 * once, which hands the worker straight to the oldest waiting job.
 */
public final class WorkerPool {
    public enum Admission { STARTED, QUEUED, REJECTED }

    private final int workers;
    private final int maxQueue;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private int busy;

    public WorkerPool(int workers, int maxQueue) {
        if (workers < 1 || maxQueue < 0) {
            throw new IllegalArgumentException("workers must be >= 1 and maxQueue >= 0");
        }
        this.workers = workers;
        this.maxQueue = maxQueue;
    }

    /**
     * Runs {@code job} now on the calling thread if a worker is free, or later on the thread that
     * releases one; the job must hop to its own thread itself if it cares.
     */
    public Admission submit(Runnable job) {
        synchronized (this) {
            if (busy >= workers) {
                if (waiting.size() >= maxQueue) {
                    return Admission.REJECTED;
                }
                waiting.addLast(job);
                return Admission.QUEUED;
            }
            busy++;
        }
        job.run();
        return Admission.STARTED;
    }

    public void release() {
        Runnable next;
        synchronized (this) {
            next = waiting.pollFirst();
            if (next == null) {
                busy--;
                return;
            }
        }
        next.run();
    }

    public synchronized int busy() {
        return busy;
    }

    public synchronized int queued() {
        return waiting.size();
    }

    public int workers() {
        return workers;
    }

    public int maxQueue() {
        return maxQueue;
    }
}
