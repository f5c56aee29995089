package io.stampede.balancer.limit;

import io.stampede.balancer.vars.Variables;
import java.util.List;
import java.util.Map;

/**
 * nginx's {@code limit_req} for one request: every rule of its location is checked first, and only
 * if none rejects is the request accounted in each zone, so a request one zone refuses costs the
 * others nothing; each zone checks again as it accounts, so requests racing on two event loops
 * never pass beyond the burst. Then it waits for the longest delay any rule asks.
 */
public final class RequestLimits {
    private RequestLimits() {}

    /** What happens to a request, and nginx's {@code $limit_req_status}. */
    public record Verdict(boolean rejected, long delayMillis, String status, String zone, long excess) {
        public static final Verdict NONE = new Verdict(false, 0, "", null, 0);
    }

    /**
     * @param dryRun {@code limit_req_dry_run}: account as ever, but neither reject nor delay
     */
    public static Verdict decide(List<LimitReq> rules, Map<String, RequestZone> zones, Variables vars, long now,
                                 boolean dryRun) {
        if (rules.isEmpty()) {
            return Verdict.NONE;
        }
        String[] keys = new String[rules.size()];
        for (int i = 0; i < rules.size(); i++) {
            LimitReq rule = rules.get(i);
            RequestZone zone = zones.get(rule.zone());
            String key = zone.config.key().render(vars);
            if (key == null || key.isEmpty()) {
                continue; // an empty key is not limited, as in nginx
            }
            keys[i] = key;
            long excess = zone.peek(key, now);
            if (excess > rule.burst() * 1000) {
                return new Verdict(!dryRun, 0, dryRun ? "REJECTED_DRY_RUN" : "REJECTED", rule.zone(), excess);
            }
        }
        long delay = 0;
        String delayedBy = null;
        long delayedExcess = 0;
        boolean limited = false;
        for (int i = 0; i < rules.size(); i++) {
            if (keys[i] == null) {
                continue;
            }
            limited = true;
            LimitReq rule = rules.get(i);
            RequestZone zone = zones.get(rule.zone());
            long excess = zone.account(keys[i], now, dryRun ? Long.MAX_VALUE : rule.burst() * 1000);
            if (excess < 0) {
                // Another event loop took the room this request peeked. Zones accounted before this
                // one keep the charge, as nginx's do when a later zone refuses under contention.
                return new Verdict(true, 0, "REJECTED", rule.zone(), rule.burst() * 1000 + 1000);
            }
            long d = LeakyBucket.delayMillis(excess, rule.delay(), zone.config.ratePerMille());
            if (d > delay) {
                delay = d;
                delayedBy = rule.zone();
                delayedExcess = excess;
            }
        }
        if (!limited) {
            return Verdict.NONE;
        }
        if (delay == 0) {
            return new Verdict(false, 0, "PASSED", null, 0);
        }
        return new Verdict(false, dryRun ? 0 : delay, dryRun ? "DELAYED_DRY_RUN" : "DELAYED", delayedBy, delayedExcess);
    }
}
