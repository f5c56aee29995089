package io.stampede.balancer.upstream;

/**
 * nginx's passive health ({@code max_fails}, {@code fail_timeout}), applied when an attempt ends,
 * for every balancing method alike.
 *
 * <p>A failure counts, stamps {@code accessed = checked = now} and cuts the effective weight by
 * {@code weight / max_fails} (integer division, floor 0); round robin wins it back one point per
 * selection round. A success resets the count only if the peer was picked after its failure
 * window re-opened ({@code accessed < checked}), so failures interleaved with successes within
 * {@code fail_timeout} still add up. A single-server upstream keeps no accounts at all.
 */
final class PassiveHealth {
    private PassiveHealth() {}

    static void free(BalancedRequest r, Peer p, Outcome outcome, long now) {
        if (outcome == Outcome.UNUSED) {
            p.conns--;
            return;
        }
        if (r.singleOnPrimary()) {
            p.conns--;
            r.tries = 0;
            return;
        }
        if (outcome == Outcome.FAILED) {
            p.fails++;
            p.accessed = now;
            p.checked = now;
            if (p.spec.maxFails() > 0) {
                p.effectiveWeight -= p.spec.weight() / p.spec.maxFails();
            }
            if (p.effectiveWeight < 0) {
                p.effectiveWeight = 0;
            }
        } else if (p.accessed < p.checked) {
            p.fails = 0;
        }
        p.conns--;
        if (r.tries > 0) {
            r.tries--;
        }
    }
}
