package io.stampede.balancer.limit;

import io.stampede.balancer.vars.Variables;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * nginx's {@code limit_conn} for one request: each rule's key is counted in its zone, in order; if
 * one is over its number (or its zone is full), the request is refused and what was counted for it
 * is given back. A request that passes holds its counts until {@link Held#release}.
 */
public final class ConnLimits {
    private ConnLimits() {}

    /** The counts a request holds, given back once, when it ends. */
    public static final class Held {
        private final List<ConnZone> zones = new ArrayList<>(1);
        private final List<String> keys = new ArrayList<>(1);

        public void release() {
            for (int i = 0; i < zones.size(); i++) {
                zones.get(i).release(keys.get(i));
            }
            zones.clear();
            keys.clear();
        }
    }

    /**
     * @param rejectedZone a refused request's zone, and whether the zone was full, for the log; untouched otherwise
     * @return {@code $limit_conn_status}: empty (no rule applied), PASSED, REJECTED or REJECTED_DRY_RUN;
     *     a refusal in dry run holds nothing and passes
     */
    public static String decide(List<LimitConn> rules, Map<String, ConnZone> zones, Variables vars, boolean dryRun, Held held,
                                String[] rejectedZone) {
        String status = "";
        for (LimitConn rule : rules) {
            ConnZone zone = zones.get(rule.zone());
            String key = zone.config.key().render(vars);
            if (key == null || key.isEmpty()) {
                continue;
            }
            ConnZone.Taken t = zone.acquire(key, rule.max());
            if (t != ConnZone.Taken.TAKEN) {
                held.release();
                rejectedZone[0] = rule.zone();
                rejectedZone[1] = t == ConnZone.Taken.FULL ? "full" : "over";
                return dryRun ? "REJECTED_DRY_RUN" : "REJECTED";
            }
            held.zones.add(zone);
            held.keys.add(key);
            status = "PASSED";
        }
        return status;
    }
}
