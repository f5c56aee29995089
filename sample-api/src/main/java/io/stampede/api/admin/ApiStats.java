package io.stampede.api.admin;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters an instance keeps about its API traffic (paths under {@code /api/}): answered requests
 * by route and status class, requests in flight (waiting for or holding a worker) and the most
 * ever in flight at once, and refusals for a full queue. A balancer's {@code max_conns} is
 * checked against {@code in_flight_max}.
 */
public final class ApiStats {
    private final LongAdder requests = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final Map<String, LongAdder> byRoute = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> byStatus = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger inFlightMax = new AtomicInteger();

    public void begin() {
        int now = inFlight.incrementAndGet();
        inFlightMax.accumulateAndGet(now, Math::max);
    }

    /** A request left without an answer (its client went away while it waited). */
    public void abandon() {
        inFlight.decrementAndGet();
    }

    public void answered(String route, int status) {
        inFlight.decrementAndGet();
        requests.increment();
        byRoute.computeIfAbsent(route, k -> new LongAdder()).increment();
        byStatus.computeIfAbsent((status / 100) + "xx", k -> new LongAdder()).increment();
        if (status == 503) {
            rejected.increment();
        }
    }

    /** Zeroes the counters; what is in flight now stays counted, and becomes the new maximum. */
    public void reset() {
        requests.reset();
        rejected.reset();
        byRoute.clear();
        byStatus.clear();
        inFlightMax.set(inFlight.get());
    }

    public long requestsTotal() {
        return requests.sum();
    }

    public int inFlight() {
        return inFlight.get();
    }

    public int inFlightMax() {
        return inFlightMax.get();
    }

    public long rejectedTotal() {
        return rejected.sum();
    }

    public Map<String, Long> byRoute() {
        return snapshot(byRoute);
    }

    public Map<String, Long> byStatus() {
        return snapshot(byStatus);
    }

    private static Map<String, Long> snapshot(Map<String, LongAdder> counters) {
        Map<String, Long> out = new TreeMap<>();
        counters.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
