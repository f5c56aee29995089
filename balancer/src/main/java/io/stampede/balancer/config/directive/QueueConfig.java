package io.stampede.balancer.config.directive;

import io.stampede.common.Durations;
import java.time.Duration;

/**
 * nginx Plus's {@code queue N [timeout=T]}: when no server can be chosen at once (all at
 * {@code max_conns}, down or failed), up to {@code size} requests wait, in arrival order, for at
 * most {@code timeout}; beyond that the client gets 502. Size 0 means no queue.
 */
public record QueueConfig(int size, Duration timeout) {
    public static final QueueConfig NONE = new QueueConfig(0, Duration.ofSeconds(60));

    public boolean enabled() {
        return size > 0;
    }

    /** Parses {@code "100"} or {@code "100 timeout=70s"}; the message says what was expected. */
    public static QueueConfig parse(String text) {
        String[] parts = text.trim().split("\\s+");
        int size;
        try {
            size = Integer.parseInt(parts[0]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + parts[0] + "' is not a queue size (expected N [timeout=60s], N >= 1)");
        }
        if (size < 1 || size > 1_000_000) {
            throw new IllegalArgumentException("queue size " + size + " is out of range (expected 1 to 1000000)");
        }
        Duration timeout = Duration.ofSeconds(60);
        for (int i = 1; i < parts.length; i++) {
            if (!parts[i].startsWith("timeout=")) {
                throw new IllegalArgumentException("unknown queue parameter '" + parts[i] + "' (expected timeout=TIME)");
            }
            try {
                timeout = Durations.parse(parts[i].substring("timeout=".length()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + parts[i] + "': " + e.getMessage());
            }
            if (timeout.isZero()) {
                throw new IllegalArgumentException("'" + parts[i] + "': the timeout must be above 0");
            }
        }
        return new QueueConfig(size, timeout);
    }
}
