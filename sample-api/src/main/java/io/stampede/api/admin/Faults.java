package io.stampede.api.admin;

import java.time.Duration;

/**
 * Faults injected at run time through {@code POST /_admin/fault}: extra latency per API request
 * (held on the worker, like a slow query), a share of API requests answered with 500, a failing
 * health check, and draining (health answers 503 while requests are still served).
 */
public record Faults(Duration extraLatency, double errorRate, boolean failHealth, boolean draining) {
    public static final Faults NONE = new Faults(Duration.ZERO, 0.0, false, false);

    public Faults {
        if (extraLatency.isNegative() || extraLatency.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("latency must be between 0 and 10m");
        }
        if (!(errorRate >= 0.0 && errorRate <= 1.0)) {
            throw new IllegalArgumentException("error_rate must be between 0 and 1");
        }
    }
}
