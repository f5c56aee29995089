package io.stampede.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The bench's conclusion, worked out from the numbers only: which row won on throughput and which
 * on tail latency, and why as far as the measurements show (where the requests went, what failed).
 */
final class Verdict {
    /** Below this failure ratio a row counts as healthy when picking the tail-latency winner. */
    static final double HEALTHY = 0.01;

    private Verdict() {}

    static List<String> lines(Plan plan, List<RowResult> rows) {
        List<String> out = new ArrayList<>();
        if (rows.size() < 2) {
            return out;
        }
        RowResult direct = rows.get(0);
        List<RowResult> balanced = rows.subList(1, rows.size());
        RowResult best = balanced.stream().max(Comparator.comparingDouble(RowResult::goodRps)).orElseThrow();
        out.add(String.format(Locale.ROOT,
                "Throughput: %s served %.0f ok req/s, %.2fx the direct run's %.0f%s; %s.",
                best.name(), best.goodRps(), direct.goodRps() > 0 ? best.goodRps() / direct.goodRps() : 0, direct.goodRps(),
                direct.failRatio() > HEALTHY ? String.format(Locale.ROOT, " (where %s of requests failed%s)", Report.percent(direct.failRatio()),
                        direct.rejected() > 0 ? ", " + direct.rejected() + " of them 503s from the one saturated instance" : "") : "",
                best.failRatio() < HEALTHY ? "with " + Report.percent(best.failRatio()) + " failures"
                        : "but " + Report.percent(best.failRatio()) + " of its requests failed"));
        List<RowResult> healthy = balanced.stream().filter(r -> r.failRatio() < HEALTHY).toList();
        List<RowResult> pool = healthy.isEmpty() ? balanced : healthy;
        RowResult tail = pool.stream().min(Comparator.comparingDouble(RowResult::p99)).orElseThrow();
        Optional<RowResult> rr = balanced.stream().filter(r -> r.name().equals("round_robin")).findFirst();
        RowResult other = rr.filter(r -> r != tail).orElseGet(() -> pool.stream().filter(r -> r != tail)
                .min(Comparator.comparingDouble(RowResult::p99)).orElse(tail));
        StringBuilder t = new StringBuilder(String.format(Locale.ROOT, "Tail latency: %s had the lowest p99%s, %s ms",
                tail.name(), healthy.isEmpty() ? " (no row stayed under 1% failures)" : " among rows under 1% failures",
                Report.ms(tail.p99())));
        if (healthy.size() == 1 && other != tail && other.failRatio() >= HEALTHY) {
            // The only healthy row: a lower p99 elsewhere came with failures, which is no win.
            t = new StringBuilder(String.format(Locale.ROOT, "Tail latency: %s was the only row under 1%% failures (p99 %s ms);"
                    + " %s's p99 of %s ms came with %s of its requests failed", tail.name(), Report.ms(tail.p99()),
                    other.name(), Report.ms(other.p99()), Report.percent(other.failRatio())));
        } else if (other != tail) {
            t.append(String.format(Locale.ROOT, " against %s's %s ms", other.name(), Report.ms(other.p99())));
            t.append(because(tail, other, plan));
        }
        out.add(t.append('.').toString());
        if (plan.disruption() != null) {
            out.add(plan.tunnels() ? tunnelLine(balanced) : failureLine(balanced));
        }
        if (plan.reloadEvery() != null) {
            out.add(reloadLine(balanced));
        }
        List<String> saturated = rows.stream().filter(r -> Boolean.TRUE.equals(r.generator().get("saturated")))
                .map(RowResult::name).toList();
        if (!saturated.isEmpty()) {
            out.add("Caution: the load generator itself was saturated in " + String.join(", ", saturated)
                    + " (see generator in bench.json): this machine could not generate that load honestly, so those rows"
                    + " measure the machine as much as the balancer.");
        }
        return out;
    }

    /** Why one row's tail beat another's: the backend whose share moved most, or that it didn't. */
    private static String because(RowResult winner, RowResult other, Plan plan) {
        String moved = null;
        double most = 0;
        for (Map.Entry<String, Double> e : winner.share().entrySet()) {
            double d = e.getValue() - other.share().getOrDefault(e.getKey(), 0.0);
            if (Math.abs(d) > Math.abs(most)) {
                most = d;
                moved = e.getKey();
            }
        }
        if (moved != null && Math.abs(most) >= 0.03) {
            return String.format(Locale.ROOT, ": it gave %s%s %d%% of the requests where %s gave it %d%%%s", moved,
                    slowest(plan, winner, moved) ? " (the slowest backend)" : "",
                    Math.round(winner.share().get(moved) * 100), other.name(), Math.round(other.share().get(moved) * 100),
                    other.rejected() > winner.rejected() ? String.format(Locale.ROOT, ", and backends refused %d requests (503) under %s against %d",
                            other.rejected(), other.name(), winner.rejected()) : "");
        }
        if (loadAware(winner) && !loadAware(other)) {
            return String.format(Locale.ROOT, "; both spread requests evenly (%s vs %s), so it won on timing: it sends each request"
                    + " to a backend with fewer requests in flight, so a burst does not pile onto one that is busy",
                    Report.shares(winner), Report.shares(other));
        }
        return String.format(Locale.ROOT, "; both spread requests within 3 points of each other (%s vs %s), so the gap is queueing"
                + " chance rather than placement", Report.shares(winner), Report.shares(other));
    }

    /** Methods that look at the requests in flight when they choose. */
    private static boolean loadAware(RowResult r) {
        return r.algorithm().contains("least_conn") || r.algorithm().contains("least_time");
    }

    /** Whether {@code name} is the one backend with less capacity than the others. */
    private static boolean slowest(Plan plan, RowResult row, String name) {
        List<String> names = List.copyOf(row.share().keySet());
        int i = names.indexOf(name);
        if (i < 0 || i >= plan.backends().size()) {
            return false;
        }
        double c = plan.backends().get(i).capacity();
        return plan.backends().stream().filter(b -> b.capacity() <= c).count() == 1
                && plan.backends().stream().anyMatch(b -> b.capacity() > c);
    }

    private static String reloadLine(List<RowResult> balanced) {
        long sent = 0;
        long applied = 0;
        long refused = 0;
        long failures = 0;
        long busy = 0;
        long requests = 0;
        for (RowResult r : balanced) {
            sent += ((Number) r.disruption().getOrDefault("reloads_sent", 0)).longValue();
            applied += ((Number) r.disruption().getOrDefault("reloads_applied", 0)).longValue();
            refused += ((Number) r.disruption().getOrDefault("reloads_refused", 0)).longValue();
            failures += r.failures();
            busy += Math.min(r.failures(), Math.max(0, r.rejected()));
            requests += r.requests();
        }
        String why = failures == 0 ? "" : busy == failures
                ? ": every one a 503 from a backend whose queue was full, as the same rows show without reloads"
                : String.format(Locale.ROOT, ": %d of them 503s from backends whose queues were full, %d from elsewhere", busy,
                        failures - busy);
        return String.format(Locale.ROOT, "Reload: the proxy's configuration was reloaded %d times during the balanced rows"
                + " (%d applied, %d refused); %d of their %d requests failed (%s)%s.", sent, applied, refused, failures, requests,
                Report.percent(requests == 0 ? 0 : (double) failures / requests), why);
    }

    /**
     * The tunnel presets: how much of the open tunnels the restarted backend held near the end,
     * per row, against an even share (the request-based failure line would say it never served,
     * since a tunnel counts as served only when it closes).
     */
    private static String tunnelLine(List<RowResult> balanced) {
        StringBuilder s = new StringBuilder("Tunnels: the backend killed and restarted mid-run held");
        String backend = null;
        for (int i = 0; i < balanced.size(); i++) {
            RowResult r = balanced.get(i);
            backend = String.valueOf(r.disruption().get("backend"));
            double share = r.share().getOrDefault(backend, 0.0);
            s.append(i == 0 ? " " : i == balanced.size() - 1 ? " and " : ", ").append(Math.round(share * 100)).append('%')
                    .append(i == 0 ? " of the open tunnels near the end under " : " under ").append(r.name());
        }
        int n = balanced.get(0).share().size();
        return s.append(String.format(Locale.ROOT, " (an even share is %d%%; it is %s)", n == 0 ? 0 : Math.round(100.0 / n), backend))
                .append('.').toString();
    }

    private static String failureLine(List<RowResult> balanced) {
        RowResult worst = balanced.stream().max(Comparator.comparingDouble(RowResult::failRatio)).orElseThrow();
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "Failure: with one backend killed and restarted mid-run, the worst balanced row (%s) failed %s of requests",
                worst.name(), Report.percent(worst.failRatio())));
        Map<String, Object> d = worst.disruption();
        if (d.get("marked_unavailable_after_ms") != null) {
            s.append(String.format(Locale.ROOT, "; the proxy marked %s unavailable %s ms after the kill, sent it %s more attempts while it was down"
                    + " (each retried elsewhere: %d retries in all)", d.get("backend"), d.get("marked_unavailable_after_ms"),
                    d.get("attempts_while_down"), worst.retries()));
        }
        if (d.get("served_again_after_ms") != null) {
            s.append(String.format(Locale.ROOT, ", and it served again %s ms after its restart", d.get("served_again_after_ms")));
        } else if (d.containsKey("back_at_s")) {
            s.append(", and it had not served again by the end of the run (a restarted server must pass its health checks"
                    + " and outlast fail_timeout first)");
        }
        return s.append('.').toString();
    }
}
