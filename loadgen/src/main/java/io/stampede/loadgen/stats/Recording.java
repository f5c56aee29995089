package io.stampede.loadgen.stats;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.HdrHistogram.Recorder;

/**
 * One worker's recording sink. Only the worker's event loop records into it; the collector reads
 * interval snapshots from another thread. HdrHistogram's {@link Recorder} makes that hand-off
 * wait-free for the writer, so recording costs no lock on the hot path.
 */
public final class Recording {
    /** Histograms track 1 µs to 1 hour at 3 significant digits. */
    static final long HIGHEST_MICROS = 3_600_000_000L;

    /** One endpoint's recorders and counters. */
    static final class Slot {
        final Recorder latency = new Recorder(HIGHEST_MICROS, 3);
        final Recorder service = new Recorder(HIGHEST_MICROS, 3);
        final LongAdder failures = new LongAdder();
        final LongAdder bytes = new LongAdder();
    }

    final Map<Endpoint, Slot> slots = new ConcurrentHashMap<>();
    final Map<ErrorKey, LongAdder> errors = new ConcurrentHashMap<>();
    final LongAdder dropped = new LongAdder();
    /** TLS handshakes: their time, and how many resumed a session. */
    final Recorder handshakes = new Recorder(HIGHEST_MICROS, 3);
    final LongAdder resumed = new LongAdder();
    /** Where every request is also written as a row ({@code --raw-log}), or null. */
    volatile RawLog.Sink raw;
    /** Tasks a user had to abandon (Locust's exceptions), by message. */
    final Map<String, LongAdder> exceptions = new ConcurrentHashMap<>();

    /**
     * Records one request.
     *
     * @param latencyNanos from the intended start (the schedule, or when the user became ready)
     * @param serviceNanos from the moment the request was actually sent
     * @param error null for a success
     */
    public void record(String method, String name, long latencyNanos, long serviceNanos, long bytes, String error) {
        Slot s = slot(method, name);
        long latency = clamp(latencyNanos);
        long service = clamp(serviceNanos);
        s.latency.recordValue(latency);
        s.service.recordValue(service);
        RawLog.Sink r = raw;
        if (r != null) {
            r.add(System.currentTimeMillis(), method, name, latency, service, bytes, error);
        }
        s.bytes.add(bytes);
        if (error != null) {
            s.failures.increment();
            errors.computeIfAbsent(new ErrorKey(method, name, error), k -> new LongAdder()).increment();
        }
    }

    /**
     * The slot for an endpoint, through a cache that only the recording worker's thread touches,
     * so the hot path neither allocates a key nor hashes into the shared map.
     */
    private Slot slot(String method, String name) {
        Map<String, Slot> byName = byMethod.get(method);
        if (byName == null) {
            byName = new java.util.HashMap<>();
            byMethod.put(method, byName);
        }
        Slot s = byName.get(name);
        if (s == null) {
            s = slots.computeIfAbsent(new Endpoint(method, name), k -> new Slot());
            byName.put(name, s);
        }
        return s;
    }

    private final Map<String, Map<String, Slot>> byMethod = new java.util.HashMap<>();

    /** A user abandoned a task (a request it could not build): not a request, as in Locust. */
    public void exception(String message) {
        exceptions.computeIfAbsent(message, k -> new LongAdder()).increment();
    }

    /** One TLS handshake that succeeded, from the TCP connection to its end. */
    public void handshake(long nanos, boolean resumedSession) {
        handshakes.recordValue(clamp(nanos));
        if (resumedSession) {
            resumed.increment();
        }
    }

    /** An arrival of the open model found no free user: counted, never delayed. */
    public void dropped() {
        dropped.increment();
    }

    /**
     * Adds another process's interval for one endpoint (a worker process of {@code --processes}):
     * its histograms bucket for bucket, so percentiles of the sum are those of all its values, and
     * its failures and bytes. Called by one thread per recording, as {@link #record} is.
     */
    public void absorb(Endpoint endpoint, Histogram latency, Histogram service, long failures, long bytes) {
        Slot s = slots.computeIfAbsent(endpoint, k -> new Slot());
        addInto(s.latency, latency);
        addInto(s.service, service);
        s.failures.add(failures);
        s.bytes.add(bytes);
    }

    /** Adds another process's failures of one kind. */
    public void absorbErrors(ErrorKey key, long count) {
        errors.computeIfAbsent(key, k -> new LongAdder()).add(count);
    }

    /** Adds another process's abandoned tasks of one kind. */
    public void absorbExceptions(String message, long count) {
        exceptions.computeIfAbsent(message, k -> new LongAdder()).add(count);
    }

    /** Adds another process's dropped arrivals. */
    public void absorbDropped(long count) {
        dropped.add(count);
    }

    /** Adds another process's TLS handshakes. */
    public void absorbHandshakes(Histogram time, long resumedCount) {
        addInto(handshakes, time);
        resumed.add(resumedCount);
    }

    /** Every recorded bucket of {@code from} again into {@code to}: the same buckets, the same counts. */
    private static void addInto(Recorder to, Histogram from) {
        for (HistogramIterationValue v : from.recordedValues()) {
            to.recordValueWithCount(from.lowestEquivalentValue(v.getValueIteratedTo()), v.getCountAtValueIteratedTo());
        }
    }

    private static long clamp(long nanos) {
        return Math.max(1, Math.min(HIGHEST_MICROS, nanos / 1000));
    }
}
