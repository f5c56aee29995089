package io.stampede.balancer.limit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.util.concurrent.TimeUnit;

/**
 * One {@code limit_req_zone} at run time: a bucket per key, shared by every event loop. A key is
 * forgotten once its bucket has leaked empty (its excess would be 0 by then), or, when the zone is
 * full, the least valuable key goes first (Caffeine's eviction, standing in for nginx's LRU).
 */
public final class RequestZone {
    final LimitReqZone config;
    private final Cache<String, LeakyBucket.State> buckets;

    public RequestZone(LimitReqZone config) {
        this.config = config;
        long rate = config.ratePerMille();
        this.buckets = Caffeine.newBuilder().maximumSize(config.capacity()).expireAfter(new Expiry<String, LeakyBucket.State>() {
            @Override
            public long expireAfterCreate(String key, LeakyBucket.State s, long now) {
                return leakedAfter(s);
            }

            @Override
            public long expireAfterUpdate(String key, LeakyBucket.State s, long now, long left) {
                return leakedAfter(s);
            }

            @Override
            public long expireAfterRead(String key, LeakyBucket.State s, long now, long left) {
                return left;
            }

            /** When the excess has leaked away, plus a second: the key is as good as new then. */
            private long leakedAfter(LeakyBucket.State s) {
                return TimeUnit.MILLISECONDS.toNanos(s.excess() * 1000 / rate + 1000);
            }
        }).build();
    }

    /** The excess a request for {@code key} would have at {@code now}, without accounting it. */
    long peek(String key, long now) {
        return LeakyBucket.excess(buckets.getIfPresent(key), now, config.ratePerMille());
    }

    /**
     * Accounts a request for {@code key} at {@code now} unless its excess would be over
     * {@code most}; returns its excess, or -1 when it is over (and nothing changed). The check and
     * the update are one step under the key's lock, as nginx's under its zone's mutex: two event
     * loops that both peeked room for one more request cannot both take it.
     */
    long account(String key, long now, long most) {
        long[] out = {-1};
        buckets.asMap().compute(key, (k, s) -> {
            long excess = LeakyBucket.excess(s, now, config.ratePerMille());
            if (excess > most) {
                return s; // never null here: an unknown key's excess is 0
            }
            out[0] = excess;
            return LeakyBucket.passed(s, excess, now);
        });
        return out[0];
    }

    /** The same zone (name, size, rate and key) as {@code other}, so a reload can keep its buckets. */
    public boolean sameAs(LimitReqZone other) {
        return config.name().equals(other.name()) && config.sizeBytes() == other.sizeBytes()
                && config.ratePerMille() == other.ratePerMille() && config.key().equals(other.key());
    }
}
