package io.stampede.balancer.upstream;

/**
 * A balancing method: picks the next peer for one attempt of a request. Called with the group's
 * lock held, so it may read and update every peer's counters. Passive health, the tried set, the
 * tries budget and backup switching live in {@link PeerGroup} and {@link RoundRobin}, shared by
 * every method, as nginx's methods share its round robin module.
 */
public interface PeerSelector {
    /**
     * @return the chosen peer (already marked picked: tried, {@code conns} counted), or null when
     *     no peer is usable for this request ("no live upstreams")
     */
    Peer pick(BalancedRequest request, long now);

    /** Sets up the method's per-request state, once, before the first pick (the key is known by then). */
    default void start(BalancedRequest request) {
    }

    /**
     * Sticky sessions picked {@code tier[index]} for a bound request instead of this method
     * ({@link StickySelector}); a method that keeps accounts over all picks updates them here.
     */
    default void bound(BalancedRequest request, int index, long now) {
    }
}
