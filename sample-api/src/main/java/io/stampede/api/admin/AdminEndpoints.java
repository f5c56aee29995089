package io.stampede.api.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.stampede.api.capacity.WorkerPool;
import io.stampede.api.http.ApiRequest;
import io.stampede.api.http.Json;
import io.stampede.api.http.Reply;
import io.stampede.common.Durations;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code /healthz} and the {@code /_admin/} endpoints of one instance. They never wait for a
 * worker: a balancer's health check and an operator must get through an overloaded instance.
 */
public final class AdminEndpoints {
    private static final Set<String> FAULT_KEYS = Set.of("latency", "latency_ms", "error_rate", "fail_health", "draining");

    private final String instance;
    private final ApiStats stats;
    private final WorkerPool pool;
    private final AtomicReference<Faults> faults;

    /** WebSocket sessions open now. */
    private final java.util.function.IntSupplier liveSessions;

    public AdminEndpoints(String instance, ApiStats stats, WorkerPool pool, AtomicReference<Faults> faults,
                          java.util.function.IntSupplier liveSessions) {
        this.liveSessions = liveSessions;
        this.instance = instance;
        this.stats = stats;
        this.pool = pool;
        this.faults = faults;
    }

    public Reply health(ApiRequest request) {
        Faults f = faults.get();
        Map<String, Object> body = new LinkedHashMap<>();
        if (f.failHealth() || f.draining()) {
            String status = f.draining() ? "draining" : "failing";
            body.put("status", status);
            body.put("instance", instance);
            body.put("errors", java.util.List.of(Reply.fieldError(status,
                    f.draining() ? "This instance is draining." : "This instance was told to fail its health check.", null)));
            return Reply.json(503, body, 0);
        }
        body.put("status", "ok");
        body.put("instance", instance);
        return Reply.json(200, body, 0);
    }

    public Reply stats(ApiRequest request) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance", instance);
        body.put("requests_total", stats.requestsTotal());
        body.put("by_route", stats.byRoute());
        body.put("by_status", stats.byStatus());
        body.put("in_flight", stats.inFlight());
        body.put("in_flight_max", stats.inFlightMax());
        body.put("live_sessions", liveSessions.getAsInt());
        body.put("rejected_total", stats.rejectedTotal());
        body.put("workers", pool.workers());
        body.put("busy_workers", pool.busy());
        body.put("queued", pool.queued());
        body.put("max_queue", pool.maxQueue());
        return Reply.json(200, body, 0);
    }

    public Reply resetStats(ApiRequest request) {
        stats.reset();
        return stats(request);
    }

    public Reply showFaults(ApiRequest request) {
        return Reply.json(200, describe(faults.get()), 0);
    }

    public Reply clearFaults(ApiRequest request) {
        faults.set(Faults.NONE);
        return showFaults(request);
    }

    /** Merges the given keys into the current faults; on any bad key or value nothing changes. */
    public Reply setFaults(ApiRequest request) {
        JsonNode body = Json.objectOrNull(request.body());
        if (body == null) {
            return Reply.parseError();
        }
        Faults f = faults.get();
        Duration latency = f.extraLatency();
        double errorRate = f.errorRate();
        boolean failHealth = f.failHealth();
        boolean draining = f.draining();
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            JsonNode v = body.get(key);
            if (!FAULT_KEYS.contains(key)) {
                return invalid(key, "unknown key (expected one of " + String.join(", ", new java.util.TreeSet<>(FAULT_KEYS)) + ")");
            }
            try {
                switch (key) {
                    case "latency" -> latency = Durations.parse(v.asText());
                    case "latency_ms" -> {
                        if (!v.isNumber()) {
                            return invalid(key, "expected a number of milliseconds");
                        }
                        latency = Duration.ofNanos((long) (v.asDouble() * 1_000_000));
                    }
                    case "error_rate" -> {
                        if (!v.isNumber()) {
                            return invalid(key, "expected a number between 0 and 1");
                        }
                        errorRate = v.asDouble();
                    }
                    case "fail_health" -> {
                        if (!v.isBoolean()) {
                            return invalid(key, "expected true or false");
                        }
                        failHealth = v.asBoolean();
                    }
                    default -> {
                        if (!v.isBoolean()) {
                            return invalid(key, "expected true or false");
                        }
                        draining = v.asBoolean();
                    }
                }
            } catch (IllegalArgumentException e) {
                return invalid(key, e.getMessage());
            }
        }
        try {
            faults.set(new Faults(latency, errorRate, failHealth, draining));
        } catch (IllegalArgumentException e) {
            return invalid(null, e.getMessage());
        }
        return showFaults(request);
    }

    private static Reply invalid(String key, String detail) {
        return Reply.error(400, "validation_error", "invalid", detail, key, 0);
    }

    private static Map<String, Object> describe(Faults f) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("latency_ms", f.extraLatency().toNanos() / 1_000_000.0);
        out.put("error_rate", f.errorRate());
        out.put("fail_health", f.failHealth());
        out.put("draining", f.draining());
        return out;
    }
}
