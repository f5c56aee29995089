package io.stampede.api;

import java.time.Duration;

/**
 * One instance's settings: where it listens, its name, and its capacity model ({@code workers}
 * handling at once, each query holding one for {@code dbLatency}, at most {@code maxQueue}
 * waiting).
 */
public record ApiSettings(String bind, int port, String name, int workers, Duration dbLatency, int maxQueue,
                          boolean adminRemote) {
    public ApiSettings {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        if (maxQueue < 0) {
            throw new IllegalArgumentException("max-queue must be >= 0, got " + maxQueue);
        }
        if (dbLatency.isNegative()) {
            throw new IllegalArgumentException("db-latency must not be negative");
        }
    }

    /** The instance's name once its port is known: the given one, or {@code api-<port>}. */
    public String nameFor(int actualPort) {
        return name != null ? name : "api-" + actualPort;
    }
}
