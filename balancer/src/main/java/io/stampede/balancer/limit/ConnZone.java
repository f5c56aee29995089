package io.stampede.balancer.limit;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One {@code limit_conn_zone} at run time: the requests in progress per key, shared by every event
 * loop. A key leaves when its count falls to zero; a zone holding as many keys as its size allows
 * refuses new keys, as nginx's refuses when its shared memory is full.
 */
public final class ConnZone {
    final LimitConnZone config;
    private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();
    private final AtomicInteger keys = new AtomicInteger();

    public ConnZone(LimitConnZone config) {
        this.config = config;
    }

    /** Outcomes of {@link #acquire}. */
    enum Taken { TAKEN, OVER, FULL }

    /** Counts a request for {@code key} unless the key has {@code max} in progress (or the zone is full). */
    Taken acquire(String key, int max) {
        Taken[] out = new Taken[1];
        counts.compute(key, (k, n) -> {
            if (n == null) {
                if (keys.get() >= config.capacity()) {
                    out[0] = Taken.FULL;
                    return null;
                }
                keys.incrementAndGet();
                out[0] = Taken.TAKEN;
                return 1;
            }
            if (n >= max) {
                out[0] = Taken.OVER;
                return n;
            }
            out[0] = Taken.TAKEN;
            return n + 1;
        });
        return out[0];
    }

    /** A request counted for {@code key} is over. */
    void release(String key) {
        counts.computeIfPresent(key, (k, n) -> {
            if (n <= 1) {
                keys.decrementAndGet();
                return null;
            }
            return n - 1;
        });
    }

    /** Requests in progress for {@code key} (for tests and status). */
    public int inProgress(String key) {
        return counts.getOrDefault(key, 0);
    }

    public boolean sameAs(LimitConnZone other) {
        return config.name().equals(other.name()) && config.sizeBytes() == other.sizeBytes() && config.key().equals(other.key());
    }
}
