package io.stampede.loadgen.stats;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
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
        s.latency.recordValue(clamp(latencyNanos));
        s.service.recordValue(clamp(serviceNanos));
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

    private static long clamp(long nanos) {
        return Math.max(1, Math.min(HIGHEST_MICROS, nanos / 1000));
    }
}
